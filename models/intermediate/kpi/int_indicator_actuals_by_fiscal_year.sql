with

indicators as (

    select * from {{ ref('dim_indicator') }}

),

monthly_actuals as (

    select * from {{ ref('int_indicator_actuals_by_fiscal_month') }}

),

indicator_reports as (

    select * from {{ ref('fct_indicator_reports') }}

),

open_data_items as (

    select * from {{ ref('stg_open_data__items') }}

),

system_actuals as (

    -- M03-1, M03-2, M09-1, M13-1: the year is sum(numerator) ÷ sum(denominator) of the monthly model
    -- (× 100 for M09-1); M13-1, an annual total, is the sum of its monthly page views
    select
        indicator_id,
        fiscal_year,
        case
            when bool_or(is_running_total) then sum(numerator_value)
            else max(scale_factor) * {{ safe_divide('sum(numerator_value)', 'sum(denominator_value)') }}
        end as actual_value,
        count(distinct fiscal_month_start_date) as months_with_data,
        max(data_through_date) as data_through_date,
        max(source_name) as source_name,
        max(source_detail) as source_detail
    from monthly_actuals
    group by
        indicator_id,
        fiscal_year

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

    select * from system_actuals
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
