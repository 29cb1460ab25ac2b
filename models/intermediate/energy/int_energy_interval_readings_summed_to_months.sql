{#- a table, rebuilt by fiscal month like the large facts: ten years of 30-minute readings are 52.6 M rows, and
    the models and tests above it read ~100,000 monthly sums instead of summing them again each time -#}
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='reading_month_start_date') }}
-- depends_on: {{ source('load', 'changed_fiscal_months') }}

with

interval_readings as (

    select * from {{ ref('stg_ems__readings_interval') }}
    {% if is_incremental() %}
    where {{ changed_months_filter('reading_start_at', ['energy_readings_interval']) }}
    {% endif %}

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
