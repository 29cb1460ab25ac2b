with

monthly_use as (

    select * from {{ ref('int_energy_readings_unioned_to_months') }}

),

final as (

    select
        facility_code,
        reading_month_start_date as fiscal_month_start_date,
        {{ fiscal_year_of('reading_month_start_date') }} as fiscal_year,
        meter_type,
        usage_value,
        usage_unit,
        reading_source

    from monthly_use

)

select * from final
