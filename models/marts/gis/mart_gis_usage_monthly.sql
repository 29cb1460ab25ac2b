with

daily_events as (

    select * from {{ ref('fct_gis_events_daily') }}

),

maps_used as (

    select * from {{ ref('int_gis_maps_used_monthly') }}

),

business_days as (

    -- ward-wide: a day counts when anyone used the GIS (M03-1 logins per business day)
    select
        fiscal_month_start_date,
        count(distinct event_date) as business_days

    from daily_events
    group by fiscal_month_start_date

),

department_months as (

    select
        fiscal_month_start_date,
        fiscal_year,
        department_name_ja,
        cast(sum(case when event_type = 'login' then event_count else 0 end) as bigint) as login_count,
        cast(sum(case when event_type = 'map_open' then event_count else 0 end) as bigint) as map_open_count

    from daily_events
    group by
        fiscal_month_start_date,
        fiscal_year,
        department_name_ja

),

final as (

    select
        department_months.fiscal_month_start_date,
        department_months.fiscal_year,
        department_months.department_name_ja,
        department_months.login_count,
        business_days.business_days,
        {{ safe_divide('department_months.login_count', 'business_days.business_days') }} as logins_per_business_day,
        department_months.map_open_count,
        coalesce(maps_used.distinct_map_count, 0) as distinct_map_count

    from department_months
    inner join business_days
        on department_months.fiscal_month_start_date = business_days.fiscal_month_start_date
    left join maps_used
        on department_months.fiscal_month_start_date = maps_used.fiscal_month_start_date
        and department_months.department_name_ja = maps_used.department_name_ja

)

select * from final
