with

daily_events as (

    select * from {{ ref('fct_gis_events_daily') }}

),

maps_used as (

    select * from {{ ref('int_gis_maps_used_monthly') }}

),

calendar_dates as (

    select * from {{ ref('dim_date') }}

),

business_days as (

    -- the ward's 開庁日 of the month (dim_date), whether or not anyone used the GIS that day
    select
        fiscal_month_start_date,
        cast(sum(case when is_business_day then 1 else 0 end) as bigint) as business_days

    from calendar_dates
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

ward_months as (

    select
        fiscal_month_start_date,
        sum(login_count) as ward_login_count

    from department_months
    group by fiscal_month_start_date

),

final as (

    select
        department_months.fiscal_month_start_date,
        department_months.fiscal_year,
        department_months.department_name_ja,
        department_months.login_count,
        coalesce(business_days.business_days, 0) as business_days,
        -- M03-1 GISの職員利用（システムログイン）数（日平均）, per department: logins ÷ the month's 開庁日
        {{ safe_divide('department_months.login_count', 'business_days.business_days') }} as logins_per_business_day,
        department_months.map_open_count,
        coalesce(maps_used.distinct_map_count, 0) as distinct_map_count,
        -- ward-wide M03-1 of the month: all departments' logins ÷ the month's 開庁日
        ward_months.ward_login_count,
        {{ safe_divide('ward_months.ward_login_count', 'business_days.business_days') }} as ward_logins_per_business_day

    from department_months
    left join business_days
        on department_months.fiscal_month_start_date = business_days.fiscal_month_start_date
    inner join ward_months
        on department_months.fiscal_month_start_date = ward_months.fiscal_month_start_date
    left join maps_used
        on department_months.fiscal_month_start_date = maps_used.fiscal_month_start_date
        and department_months.department_name_ja = maps_used.department_name_ja

)

select * from final
