{#- Data the build keeps but a person should look at: the checks that used to fail a build are warnings here,
    each naming the lake table, the subject, the rows and the files (the app shows them on the catalog page). -#}

{%- set dated_tables = [
    ('certificate_issuances', 'stg_certificates__issuances', 'issued_date'),
    ('web_page_views_daily', 'stg_web__page_views_daily', 'access_date'),
    ('web_access_log', 'stg_web__access_log', 'request_date'),
    ('gis_events', 'stg_gis__events', 'event_date'),
    ('energy_readings_monthly', 'stg_ems__readings_monthly', 'reading_month_start_date'),
    ('energy_readings_interval', 'stg_ems__readings_interval', 'reading_date'),
] -%}

with

facilities as (

    select * from {{ ref('dim_facility') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

reports as (

    select * from {{ ref('stg_indicator_reports__values') }}

),

energy_readings as (

    select facility_code, reading_month_start_date as reading_date, source_file_name
    from {{ ref('stg_ems__readings_monthly') }}
    union all
    select facility_code, reading_date, source_file_name
    from {{ ref('stg_ems__readings_interval') }}

),

unregistered_facilities as (

    select
        'unregistered_facility' as warning_code,
        'warning' as severity,
        'energy_readings' as source_table,
        energy_readings.facility_code as subject,
        count(*) as row_count,
        min(energy_readings.reading_date) as first_date,
        max(energy_readings.reading_date) as last_date,
        count(distinct energy_readings.source_file_name) as file_count,
        min(energy_readings.source_file_name) as example_file_name
    from energy_readings
    inner join facilities
        on energy_readings.facility_code = facilities.facility_code
    where not facilities.is_registered
    group by energy_readings.facility_code

),

unknown_indicators as (

    select
        'unknown_indicator' as warning_code,
        'warning' as severity,
        'indicator_reports' as source_table,
        reports.indicator_id as subject,
        count(*) as row_count,
        min(cast({{ dbt.concat(["cast(reports.fiscal_year as " ~ dbt.type_string() ~ ")", "'-04-01'"]) }} as date)) as first_date,
        max({{ fiscal_year_end_date('reports.fiscal_year') }}) as last_date,
        count(distinct reports.source_file_name) as file_count,
        min(reports.source_file_name) as example_file_name
    from reports
    left join indicators
        on reports.indicator_id = indicators.indicator_id
    where indicators.indicator_id is null
    group by reports.indicator_id

),

{% for table, model, date_column in dated_tables %}
{{ table }}_outside as (

    select
        case
            when {{ date_column }} > {{ as_of_date() }} then 'dated_after_as_of_date'
            else 'dated_before_fy2015'
        end as warning_code,
        case when {{ date_column }} > {{ as_of_date() }} then 'warning' else 'info' end as severity,
        '{{ table }}' as source_table,
        cast(null as {{ dbt.type_string() }}) as subject,
        count(*) as row_count,
        min({{ date_column }}) as first_date,
        max({{ date_column }}) as last_date,
        count(distinct source_file_name) as file_count,
        min(source_file_name) as example_file_name
    from {{ ref(model) }}
    where {{ date_column }} > {{ as_of_date() }}
        or {{ date_column }} < {{ calendar_default_start() }}
    group by 1, 2

),
{% endfor %}

indicator_reports_outside as (

    -- a report for a fiscal year that starts after as_of_date, or before FY2015
    select
        case when report_start_date > {{ as_of_date() }} then 'dated_after_as_of_date' else 'dated_before_fy2015' end
            as warning_code,
        case when report_start_date > {{ as_of_date() }} then 'warning' else 'info' end as severity,
        'indicator_reports' as source_table,
        cast(null as {{ dbt.type_string() }}) as subject,
        count(*) as row_count,
        min(report_start_date) as first_date,
        max(report_start_date) as last_date,
        count(distinct source_file_name) as file_count,
        min(source_file_name) as example_file_name
    from (
        select
            cast({{ dbt.concat(["cast(fiscal_year as " ~ dbt.type_string() ~ ")", "'-04-01'"]) }} as date)
                as report_start_date,
            source_file_name
        from reports
    ) as report_years
    where report_start_date > {{ as_of_date() }}
        or report_start_date < {{ calendar_default_start() }}
    group by 1, 2

),

unioned as (

    select * from unregistered_facilities
    union all
    select * from unknown_indicators
    union all
    select * from indicator_reports_outside
    {%- for table, model, date_column in dated_tables %}
    union all
    select * from {{ table }}_outside
    {%- endfor %}

),

final as (

    select
        warning_code,
        severity,
        source_table,
        subject,
        row_count,
        first_date,
        last_date,
        file_count,
        example_file_name,
        case warning_code
            when 'unregistered_facility' then {{ dbt.concat([
                "'施設コード '", "subject", "' の使用量がありますが、施設一覧に載っていません。「未登録の施設 '", "subject",
                "'」として集計しています。この施設を含む施設一覧（公共施設一覧など）を landing/energy/ に置いてください。'"]) }}
            when 'unknown_indicator' then {{ dbt.concat([
                "'指標ID '", "subject", "' は計画の指標一覧（seeds/plan_indicators.csv）にないため、集計に使っていません。'"]) }}
            when 'dated_after_as_of_date' then
                '基準日より後の日付の行です。保存していますが、基準日までの指標には数えていません。'
            else '平成27年度（計画の基準年度）より前の行です。保存していますが、指標には使っていません。'
        end as message_ja,
        case warning_code
            when 'unregistered_facility' then {{ dbt.concat([
                "'Facility code '", "subject", "' has readings but is in no facility master; it is counted as '",
                "'an unregistered facility. Put a facility master that lists it in landing/energy/.'"]) }}
            when 'unknown_indicator' then {{ dbt.concat([
                "'Indicator id '", "subject", "' is not among the plan''s indicators (seeds/plan_indicators.csv); '",
                "'its reports are not used.'"]) }}
            when 'dated_after_as_of_date' then
                'Rows dated after the as-of date: kept, but not counted in any indicator up to the as-of date.'
            else 'Rows dated before FY2015 (the plan''s baseline year): kept, not used by any indicator.'
        end as message_en

    from unioned

)

select * from final
