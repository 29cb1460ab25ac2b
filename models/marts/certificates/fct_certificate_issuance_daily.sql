{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='fiscal_month_start_date') }}
-- depends_on: {{ source('load', 'changed_fiscal_months') }}

with

issuances as (

    select * from {{ ref('stg_certificates__issuances') }}
    {% if is_incremental() %}
    where {{ changed_months_filter('issued_date', ['certificate_issuances']) }}
    {% endif %}

),

daily_issuances as (

    select
        issued_date,
        office_code,
        certificate_type_code,
        channel_code,
        cast(sum(issued_count) as bigint) as issued_count

    from issuances
    group by
        issued_date,
        office_code,
        certificate_type_code,
        channel_code

),

final as (

    select
        issued_date,
        {{ month_start_of('issued_date') }} as fiscal_month_start_date,
        {{ fiscal_year_of('issued_date') }} as fiscal_year,
        office_code,
        certificate_type_code,
        channel_code,
        issued_count

    from daily_issuances

)

select * from final
