with

monthly_readings as (

    select * from {{ ref('stg_ems__readings_monthly') }}

),

interval_months as (

    select * from {{ ref('int_energy_interval_readings_summed_to_months') }}

),

monthly_totals as (

    select
        facility_code,
        meter_type,
        reading_month_start_date,
        usage_unit,
        sum(usage_value) as usage_value

    from monthly_readings
    group by
        facility_code,
        meter_type,
        reading_month_start_date,
        usage_unit

),

interval_months_without_monthly as (

    -- a monthly reading is the meter's official figure: interval sums only fill months without one
    select
        interval_months.facility_code,
        interval_months.meter_type,
        interval_months.reading_month_start_date,
        interval_months.usage_unit,
        interval_months.usage_value

    from interval_months
    left join (
        select distinct facility_code, meter_type, reading_month_start_date from monthly_totals
    ) as monthly_totals
        on interval_months.facility_code = monthly_totals.facility_code
        and interval_months.meter_type = monthly_totals.meter_type
        and interval_months.reading_month_start_date = monthly_totals.reading_month_start_date
    where monthly_totals.facility_code is null

),

unioned as (

    select
        facility_code,
        meter_type,
        reading_month_start_date,
        usage_value,
        usage_unit,
        'monthly' as reading_source

    from monthly_totals

    union all

    select
        facility_code,
        meter_type,
        reading_month_start_date,
        usage_value,
        usage_unit,
        'interval_sum' as reading_source

    from interval_months_without_monthly

)

select * from unioned
