{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='fiscal_month_start_date') }}
-- depends_on: {{ source('load', 'changed_fiscal_months') }}

with

monthly_use as (

    select * from {{ ref('int_energy_readings_unioned_to_months') }}
    {% if is_incremental() %}
    where reading_month_start_date in ({{ changed_fiscal_month_starts(['energy_readings_monthly', 'energy_readings_interval']) }})
    {% endif %}

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
