with

spined_months as (

    select * from {{ ref('int_calendar_months_spined') }}

),

calendar_parts as (

    select
        month_start_date,
        month_end_date,
        cast(extract(year from month_start_date) as integer) as calendar_year,
        cast(extract(month from month_start_date) as integer) as calendar_month

    from spined_months

),

fiscal_parts as (

    select
        month_start_date,
        month_end_date,
        calendar_year,
        calendar_month,
        case when calendar_month >= 4 then calendar_year else calendar_year - 1 end as fiscal_year,
        case when calendar_month >= 4 then calendar_month - 3 else calendar_month + 9 end as fiscal_month_number

    from calendar_parts

),

final as (

    select
        month_start_date as fiscal_month_start_date,
        month_end_date as fiscal_month_end_date,
        calendar_year,
        calendar_month,
        fiscal_year,
        case
            when fiscal_month_number <= 3 then 1
            when fiscal_month_number <= 6 then 2
            when fiscal_month_number <= 9 then 3
            else 4
        end as fiscal_quarter,
        fiscal_month_number,
        {{ dbt.concat([
            "cast(calendar_year as " ~ dbt.type_string() ~ ")",
            "'年'",
            "cast(calendar_month as " ~ dbt.type_string() ~ ")",
            "'月'",
        ]) }} as month_label_ja,
        {{ wareki_fiscal_year_label('fiscal_year') }} as fiscal_year_label_ja,
        {{ dbt.concat(["'FY'", "cast(fiscal_year as " ~ dbt.type_string() ~ ")"]) }} as fiscal_year_label_en,
        month_end_date < {{ as_of_date() }} as is_complete,
        month_start_date > {{ as_of_date() }} as is_after_as_of_date

    from fiscal_parts

)

select * from final
