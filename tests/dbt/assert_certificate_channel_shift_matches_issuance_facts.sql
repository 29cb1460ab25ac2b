-- The channel mart loses and invents no certificate: its monthly totals equal the daily fact's.
with

mart_months as (

    select
        fiscal_month_start_date,
        sum(issued_count) as issued_count

    from {{ ref('mart_certificate_channel_shift') }}
    group by fiscal_month_start_date

),

fact_months as (

    select
        fiscal_month_start_date,
        sum(issued_count) as issued_count

    from {{ ref('fct_certificate_issuance_daily') }}
    group by fiscal_month_start_date

)

select
    coalesce(mart_months.fiscal_month_start_date, fact_months.fiscal_month_start_date) as fiscal_month_start_date,
    mart_months.issued_count as mart_issued_count,
    fact_months.issued_count as fact_issued_count

from mart_months
full outer join fact_months
    on mart_months.fiscal_month_start_date = fact_months.fiscal_month_start_date
where mart_months.issued_count is null
    or fact_months.issued_count is null
    or mart_months.issued_count <> fact_months.issued_count
