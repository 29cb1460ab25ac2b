with

monthly_issuances as (

    select * from {{ ref('fct_certificate_issuance_monthly') }}

),

channels as (

    select * from {{ ref('dim_certificate_channel') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

convenience_store_target as (

    -- M09-1: コンビニでの諸証明交付率, target 40% by FY2020
    select
        target_value as convenience_store_target_pct

    from indicators
    where indicator_id = 'M09-1'

),

channel_months as (

    select
        fiscal_month_start_date,
        fiscal_year,
        channel_code,
        cast(sum(issued_count) as bigint) as issued_count

    from monthly_issuances
    group by
        fiscal_month_start_date,
        fiscal_year,
        channel_code

),

month_totals as (

    select
        fiscal_month_start_date,
        fiscal_year,
        cast(sum(issued_count) as bigint) as total_issued_count

    from channel_months
    group by
        fiscal_month_start_date,
        fiscal_year

),

every_channel_every_month as (

    select
        month_totals.fiscal_month_start_date,
        month_totals.fiscal_year,
        month_totals.total_issued_count,
        channels.channel_code,
        channels.channel_name_ja,
        channels.channel_name_en,
        channels.sort_order as channel_sort_order

    from month_totals
    cross join channels

),

final as (

    select
        every_channel_every_month.fiscal_month_start_date,
        every_channel_every_month.fiscal_year,
        every_channel_every_month.channel_code,
        every_channel_every_month.channel_name_ja,
        every_channel_every_month.channel_name_en,
        every_channel_every_month.channel_sort_order,
        coalesce(channel_months.issued_count, 0) as issued_count,
        every_channel_every_month.total_issued_count,
        100.0 * {{ safe_divide('coalesce(channel_months.issued_count, 0)', 'every_channel_every_month.total_issued_count') }}
            as channel_share_pct,
        convenience_store_target.convenience_store_target_pct

    from every_channel_every_month
    left join channel_months
        on every_channel_every_month.fiscal_month_start_date = channel_months.fiscal_month_start_date
        and every_channel_every_month.channel_code = channel_months.channel_code
    -- a left join, so a missing target leaves the column null (caught by not_null) instead of emptying the mart
    left join convenience_store_target
        on 1 = 1

)

select * from final
