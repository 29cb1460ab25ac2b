with

interval_readings as (

    select * from {{ ref('stg_ems__readings_interval') }}

),

final as (

    select
        facility_code,
        meter_type,
        reading_month_start_date,
        max(usage_unit) as usage_unit,
        sum(usage_value) as usage_value,
        count(*) as interval_count,
        count(distinct usage_unit) as usage_unit_count

    from interval_readings
    group by
        facility_code,
        meter_type,
        reading_month_start_date

)

select * from final
