with

calendar_dates as (

    select * from {{ ref('calendar_dates') }}

),

final as (

    select
        calendar_date,
        {{ month_start_of('calendar_date') }} as fiscal_month_start_date,
        fiscal_year,
        day_of_week,
        is_weekend,
        is_national_holiday,
        holiday_name_ja,
        is_new_year_closure,
        -- the ward's 開庁日: the one business-day rule (M03-1's denominator, mart_gis_usage_monthly)
        is_business_day
    from calendar_dates

)

select * from final
