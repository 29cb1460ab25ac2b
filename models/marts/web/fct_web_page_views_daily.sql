{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='fiscal_month_start_date') }}
-- depends_on: {{ source('load', 'changed_fiscal_months') }}

with

page_views as (

    select * from {{ ref('stg_web__page_views_daily') }}
    {% if is_incremental() %}
    where {{ changed_months_filter('access_date', ['web_page_views_daily']) }}
    {% endif %}

),

daily_page_views as (

    select
        access_date,
        page_path,
        device_type,
        max(page_title_ja) as page_title_ja,
        cast(sum(page_view_count) as bigint) as page_view_count

    from page_views
    group by
        access_date,
        page_path,
        device_type

),

final as (

    select
        access_date,
        {{ month_start_of('access_date') }} as fiscal_month_start_date,
        {{ fiscal_year_of('access_date') }} as fiscal_year,
        page_path,
        page_title_ja,
        device_type,
        page_view_count

    from daily_page_views

)

select * from final
