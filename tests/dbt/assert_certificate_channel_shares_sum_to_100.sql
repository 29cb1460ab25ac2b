-- Every month's channel shares in mart_certificate_channel_shift add up to 100 (within rounding).
with

channel_shares as (

    select * from {{ ref('mart_certificate_channel_shift') }}

),

monthly_share_sums as (

    select
        fiscal_month_start_date,
        sum(channel_share_pct) as share_sum_pct,
        max(total_issued_count) as total_issued_count

    from channel_shares
    group by fiscal_month_start_date

)

select * from monthly_share_sums
where total_issued_count > 0
    and abs(share_sum_pct - 100) > 0.0001
