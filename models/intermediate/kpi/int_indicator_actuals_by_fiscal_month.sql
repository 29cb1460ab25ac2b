{#- Monthly numerators and denominators of the system indicators tracked within the year (M03-1, M03-2, M09-1, M13-1). -#}

with

certificate_issuances as (

    -- rows dated after as_of_date stay in the facts but never count toward an indicator (docs/kpi_rules.md)
    select * from {{ ref('fct_certificate_issuance_monthly') }}
    where fiscal_month_start_date <= {{ month_start_of(as_of_date()) }}

),

web_page_views as (

    select * from {{ ref('fct_web_page_views_daily') }}
    where access_date <= {{ as_of_date() }}

),

gis_events as (

    select * from {{ ref('fct_gis_events_daily') }}
    where event_date <= {{ as_of_date() }}

),

business_days as (

    -- the ward's 開庁日 (dim_date) of each month, up to as_of_date
    select
        fiscal_month_start_date,
        sum(case when is_business_day then 1 else 0 end) as business_day_count
    from {{ ref('dim_date') }}
    where calendar_date <= {{ as_of_date() }}
    group by fiscal_month_start_date

),

convenience_store_share as (

    -- M09-1: convenience-store issuances (numerator) ÷ issuances of all channels (denominator) × 100
    select
        'M09-1' as indicator_id,
        fiscal_month_start_date,
        fiscal_year,
        cast(sum(case when channel_code = 'convenience_store' then issued_count else 0 end) as double) as numerator_value,
        cast(sum(issued_count) as double) as denominator_value,
        100.0 as scale_factor,
        false as is_running_total,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'fiscal_month_start_date')) }} as date)
            as data_through_date,
        'certificate_issuances' as source_name,
        'fct_certificate_issuance_monthly: convenience_store ÷ all channels × 100' as source_detail
    from certificate_issuances
    group by
        fiscal_month_start_date,
        fiscal_year

),

homepage_accesses as (

    -- M13-1: page views of the month; the fiscal-year-to-date value is their running total
    select
        'M13-1' as indicator_id,
        fiscal_month_start_date,
        fiscal_year,
        cast(sum(page_view_count) as double) as numerator_value,
        1.0 as denominator_value,
        1.0 as scale_factor,
        true as is_running_total,
        max(access_date) as data_through_date,
        'web_access' as source_name,
        'fct_web_page_views_daily: sum of page_view_count' as source_detail
    from web_page_views
    group by
        fiscal_month_start_date,
        fiscal_year

),

gis_days as (

    select
        fiscal_month_start_date,
        fiscal_year,
        event_date,
        sum(case when event_type = 'login' then event_count else 0 end) as login_count,
        sum(case when event_type = 'map_open' then event_count else 0 end) as map_open_count
    from gis_events
    group by
        fiscal_month_start_date,
        fiscal_year,
        event_date
    having sum(event_count) > 0

),

gis_logins_per_day as (

    -- M03-1: login events (numerator) ÷ the month's 開庁日 up to as_of_date (denominator, dim_date)
    select
        'M03-1' as indicator_id,
        gis_days.fiscal_month_start_date,
        gis_days.fiscal_year,
        cast(sum(gis_days.login_count) as double) as numerator_value,
        cast(max(business_days.business_day_count) as double) as denominator_value,
        1.0 as scale_factor,
        false as is_running_total,
        max(gis_days.event_date) as data_through_date,
        'gis_events' as source_name,
        'fct_gis_events_daily: login events ÷ business days (dim_date)' as source_detail
    from gis_days
    inner join business_days
        on gis_days.fiscal_month_start_date = business_days.fiscal_month_start_date
    group by
        gis_days.fiscal_month_start_date,
        gis_days.fiscal_year

),

gis_maps_per_month as (

    -- M03-2: map_open events (numerator) ÷ months with data (denominator: 1 per month)
    select
        'M03-2' as indicator_id,
        fiscal_month_start_date,
        fiscal_year,
        cast(sum(map_open_count) as double) as numerator_value,
        1.0 as denominator_value,
        1.0 as scale_factor,
        false as is_running_total,
        max(event_date) as data_through_date,
        'gis_events' as source_name,
        'fct_gis_events_daily: map_open events ÷ months with data' as source_detail
    from gis_days
    group by
        fiscal_month_start_date,
        fiscal_year

),

final as (

    select * from convenience_store_share
    union all
    select * from homepage_accesses
    union all
    select * from gis_logins_per_day
    union all
    select * from gis_maps_per_month

)

select * from final
