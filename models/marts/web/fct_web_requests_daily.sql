{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='fiscal_month_start_date') }}
-- depends_on: {{ source('load', 'changed_fiscal_months') }}

with

requests as (

    select * from {{ ref('stg_web__access_log') }}
    {% if is_incremental() %}
    where {{ changed_months_filter('requested_at', ['web_access_log']) }}
    {% endif %}

),

final as (

    select
        request_date,
        {{ month_start_of('request_date') }} as fiscal_month_start_date,
        {{ fiscal_year_of('request_date') }} as fiscal_year,
        is_bot,
        is_page,
        http_status_class,
        count(*) as request_count,
        count(distinct client_hash) as client_count

    from requests
    group by
        request_date,
        is_bot,
        is_page,
        http_status_class

)

select * from final
