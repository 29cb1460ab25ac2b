with

interval_readings as (

    select * from {{ ref('stg_ems__readings_interval') }}

),

final as (

    select
        facility_code,
        meter_type,
        reading_month_start_date,
        usage_unit,
        sum(usage_value) as usage_value,
        count(*) as interval_count

    from interval_readings
    -- summed per unit: readings in different units are never added together
    group by
        facility_code,
        meter_type,
        reading_month_start_date,
        usage_unit

)

select * from final
