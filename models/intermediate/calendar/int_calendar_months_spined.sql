{#- The month spine covers FY2015 (the plan's baseline year) through the as-of month, widened to every date
    in the lake: a row dated 2009 or after as_of_date must still find its month in dim_fiscal_month. -#}

with

data_dates as (

    -- every business date of every lake table (through staging); report years count as their whole year
    select min(issued_date) as first_date, max(issued_date) as last_date
    from {{ ref('stg_certificates__issuances') }}
    union all
    select min(access_date), max(access_date)
    from {{ ref('stg_web__page_views_daily') }}
    union all
    select min(request_date), max(request_date)
    from {{ ref('stg_web__access_log') }}
    union all
    select min(event_date), max(event_date)
    from {{ ref('stg_gis__events') }}
    union all
    select min(reading_month_start_date), max(reading_month_start_date)
    from {{ ref('stg_ems__readings_monthly') }}
    union all
    select min(reading_date), max(reading_date)
    from {{ ref('stg_ems__readings_interval') }}
    union all
    select
        cast({{ dbt.concat(["cast(min(fiscal_year) as " ~ dbt.type_string() ~ ")", "'-04-01'"]) }} as date),
        {{ fiscal_year_end_date('max(fiscal_year)') }}
    from {{ ref('stg_indicator_reports__values') }}

),

data_bounds as (

    select
        least(coalesce(min(first_date), {{ calendar_default_start() }}), {{ calendar_default_start() }}) as first_date,
        greatest(coalesce(max(last_date), {{ as_of_date() }}), {{ as_of_date() }}) as last_date

    from data_dates

),

bounds as (

    select
        -- from April of the fiscal year of the earliest date (FY2015 at the latest) to the as-of month, or
        -- to the latest month with data when that is later
        cast({{ dbt.concat(["cast(" ~ fiscal_year_of('first_date') ~ " as " ~ dbt.type_string() ~ ")", "'-04-01'"]) }} as date)
            as first_month_start_date,
        last_date

    from data_bounds

),

spined_months as (

    {{ month_spine('(select first_month_start_date from bounds)', '(select last_date from bounds)') }}

),

final as (

    select
        spined_months.month_start_date,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'spined_months.month_start_date')) }}
            as date
        ) as month_end_date

    from spined_months

)

select * from final
