{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='fiscal_month_start_date') }}
-- depends_on: {{ source('load', 'changed_fiscal_months') }}

with

daily_issuances as (

    select * from {{ ref('fct_certificate_issuance_daily') }}
    {% if is_incremental() %}
    where fiscal_month_start_date in ({{ changed_fiscal_month_starts(['certificate_issuances']) }})
    {% endif %}

),

final as (

    select
        fiscal_month_start_date,
        fiscal_year,
        office_code,
        certificate_type_code,
        channel_code,
        cast(sum(issued_count) as bigint) as issued_count,
        count(distinct issued_date) as days_with_data

    from daily_issuances
    group by
        fiscal_month_start_date,
        fiscal_year,
        office_code,
        certificate_type_code,
        channel_code

)

select * from final
