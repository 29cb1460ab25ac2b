with

indicators as (

    select * from {{ ref('dim_indicator') }}

),

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

indicator_reports as (

    select * from {{ ref('fct_indicator_reports') }}

),

open_data_items as (

    select * from {{ ref('stg_open_data__items') }}

),

convenience_store_share as (

    -- M09-1 コンビニでの諸証明交付率: convenience-store issuances ÷ issuances of all channels × 100
    select
        'M09-1' as indicator_id,
        fiscal_year,
        100 * {{ safe_divide(
            "sum(case when channel_code = 'convenience_store' then issued_count else 0 end)",
            "sum(issued_count)"
        ) }} as actual_value,
        count(distinct fiscal_month_start_date) as months_with_data,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'max(fiscal_month_start_date)')) }} as date)
            as data_through_date,
        'certificate_issuances' as source_name,
        'fct_certificate_issuance_monthly: convenience_store ÷ all channels × 100' as source_detail
    from certificate_issuances
    group by fiscal_year

),

homepage_accesses as (

    -- M13-1 区ホームページアクセス件数（年間）: sum of page views of the fiscal year
    select
        'M13-1' as indicator_id,
        fiscal_year,
        cast(sum(page_view_count) as double) as actual_value,
        count(distinct fiscal_month_start_date) as months_with_data,
        max(access_date) as data_through_date,
        'web_access' as source_name,
        'fct_web_page_views_daily: sum of page_view_count' as source_detail
    from web_page_views
    group by fiscal_year

),

gis_days as (

    select
        fiscal_year,
        fiscal_month_start_date,
        event_date,
        sum(case when event_type = 'login' then event_count else 0 end) as login_count,
        sum(case when event_type = 'map_open' then event_count else 0 end) as map_open_count
    from gis_events
    group by
        fiscal_year,
        fiscal_month_start_date,
        event_date
    having sum(event_count) > 0

),

gis_logins_per_day as (

    -- M03-1 GISの職員利用（システムログイン）数（日平均）: login events ÷ business days with any GIS event
    select
        'M03-1' as indicator_id,
        fiscal_year,
        {{ safe_divide('sum(login_count)', 'count(distinct event_date)') }} as actual_value,
        count(distinct fiscal_month_start_date) as months_with_data,
        max(event_date) as data_through_date,
        'gis_events' as source_name,
        'fct_gis_events_daily: login events ÷ business days with any GIS event' as source_detail
    from gis_days
    group by fiscal_year

),

gis_maps_per_month as (

    -- M03-2 GISシステムにおける年間利用地図数（月平均）: map_open events ÷ months with data
    select
        'M03-2' as indicator_id,
        fiscal_year,
        {{ safe_divide('sum(map_open_count)', 'count(distinct fiscal_month_start_date)') }} as actual_value,
        count(distinct fiscal_month_start_date) as months_with_data,
        max(event_date) as data_through_date,
        'gis_events' as source_name,
        'fct_gis_events_daily: map_open events ÷ months with data' as source_detail
    from gis_days
    group by fiscal_year

),

latest_reports as (

    select
        indicator_id,
        fiscal_year,
        reported_value,
        loaded_at,
        row_number() over (
            partition by indicator_id, fiscal_year
            order by loaded_at desc, source_file_name desc
        ) as report_rank
    from indicator_reports
    where reported_value is not null

),

reported_actuals as (

    -- report-kind indicators, and M01-1 オープンデータ項目数 for the years IT推進課 has reported:
    -- the value the department reported for the fiscal year
    select
        latest_reports.indicator_id,
        latest_reports.fiscal_year,
        latest_reports.reported_value as actual_value,
        cast(null as integer) as months_with_data,
        -- a report covers its whole fiscal year, or up to the day it was loaded when that came earlier
        case
            when cast(latest_reports.loaded_at as date) < {{ fiscal_year_end_date('latest_reports.fiscal_year') }}
                then cast(latest_reports.loaded_at as date)
            else {{ fiscal_year_end_date('latest_reports.fiscal_year') }}
        end as data_through_date,
        indicators.source_name,
        case
            when indicators.source_kind = 'system'
                then 'fct_indicator_reports: count reported by the department for the year'
            else 'fct_indicator_reports: reported value'
        end as source_detail
    from latest_reports
    inner join indicators
        on latest_reports.indicator_id = indicators.indicator_id
    where
        latest_reports.report_rank = 1
        and (indicators.source_kind = 'report' or indicators.source_name = 'open_data_catalog')

),

open_data_items_in_progress as (

    -- M01-1 オープンデータの項目数, fiscal year in progress (no department report yet): the latest reported
    -- count plus the datasets this warehouse publishes itself (provisional until IT推進課 reports the year)
    select
        'M01-1' as indicator_id,
        {{ kpi_current_fiscal_year() }} as fiscal_year,
        latest_count.reported_value + published.item_count as actual_value,
        cast(null as integer) as months_with_data,
        cast('{{ var("as_of_date") }}' as date) as data_through_date,
        'open_data_catalog' as source_name,
        {{ dbt.concat([
            "'provisional: FY'",
            "cast(latest_count.fiscal_year as " ~ dbt.type_string() ~ ")",
            "' reported count + '",
            "cast(published.item_count as " ~ dbt.type_string() ~ ")",
            "' open datasets published by this warehouse (warehouse/products/open_data.toml)'",
        ]) }} as source_detail
    from (
        select fiscal_year, reported_value
        from latest_reports
        where indicator_id = 'M01-1' and report_rank = 1
        order by fiscal_year desc
        limit 1
    ) as latest_count
    cross join (select count(*) as item_count from open_data_items) as published
    where latest_count.fiscal_year < {{ kpi_current_fiscal_year() }}

),

unioned_actuals as (

    select * from convenience_store_share
    union all
    select * from homepage_accesses
    union all
    select * from gis_logins_per_day
    union all
    select * from gis_maps_per_month
    union all
    select * from reported_actuals
    union all
    select * from open_data_items_in_progress

),

final as (

    select
        indicator_id,
        fiscal_year,
        actual_value,
        months_with_data,
        data_through_date,
        source_name,
        source_detail
    from unioned_actuals
    where actual_value is not null

)

select * from final
