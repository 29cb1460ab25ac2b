{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='fiscal_month_start_date') }}
-- depends_on: {{ source('load', 'changed_fiscal_months') }}

with

events as (

    select * from {{ ref('stg_gis__events') }}
    {% if is_incremental() %}
    where {{ changed_months_filter('event_at', ['gis_events']) }}
    {% endif %}

),

final as (

    select
        event_date,
        {{ month_start_of('event_date') }} as fiscal_month_start_date,
        {{ fiscal_year_of('event_date') }} as fiscal_year,
        department_name_ja,
        event_type,
        count(*) as event_count,
        count(distinct staff_pseudo_id) as staff_count,
        count(distinct map_name_ja) as map_count

    from events
    group by
        event_date,
        department_name_ja,
        event_type

)

select * from final
