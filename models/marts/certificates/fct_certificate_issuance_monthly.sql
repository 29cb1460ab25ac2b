with

daily_issuances as (

    select * from {{ ref('fct_certificate_issuance_daily') }}

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
