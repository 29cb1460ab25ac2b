with

fiscal_months as (

    select * from {{ ref('dim_fiscal_month') }}

),

fiscal_years as (

    select distinct
        fiscal_year

    from fiscal_months

),

final as (

    select
        fiscal_year,
        cast({{ dbt.concat(["cast(fiscal_year as " ~ dbt.type_string() ~ ")", "'-04-01'"]) }} as date) as fiscal_year_start_date,
        cast({{ dbt.concat(["cast(fiscal_year + 1 as " ~ dbt.type_string() ~ ")", "'-03-31'"]) }} as date) as fiscal_year_end_date,
        {{ wareki_fiscal_year_label('fiscal_year') }} as label_ja,
        {{ plan_fiscal_year_label('fiscal_year') }} as label_plan_ja,
        {{ dbt.concat(["cast(fiscal_year as " ~ dbt.type_string() ~ ")", "'年度'"]) }} as label_western_ja,
        {{ dbt.concat(["'FY'", "cast(fiscal_year as " ~ dbt.type_string() ~ ")"]) }} as label_en,
        fiscal_year between 2016 and 2020 as is_plan_period

    from fiscal_years

),

completed as (

    select
        final.*,
        final.fiscal_year_end_date < {{ as_of_date() }} as is_complete

    from final

)

select * from completed
