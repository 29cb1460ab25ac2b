with

daily_page_views as (

    select * from {{ ref('fct_web_page_views_daily') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

annual_target as (

    -- M13-1: 区ホームページにアクセス件数（年間）, target 3,000,000 a year by FY2020
    select
        target_value as annual_target_page_views

    from indicators
    where indicator_id = 'M13-1'

),

monthly_page_views as (

    select
        fiscal_month_start_date,
        fiscal_year,
        cast(sum(page_view_count) as bigint) as page_view_count,
        cast(sum(case when device_type = 'pc' then page_view_count else 0 end) as bigint) as pc_page_view_count,
        cast(sum(case when device_type = 'smartphone' then page_view_count else 0 end) as bigint) as smartphone_page_view_count,
        cast(sum(case when device_type = 'tablet' then page_view_count else 0 end) as bigint) as tablet_page_view_count,
        -- every device class the contract may add later (e.g. unknown) counts as other, so the four columns
        -- always add up to page_view_count
        cast(sum(case when device_type not in ('pc', 'smartphone', 'tablet') then page_view_count else 0 end) as bigint)
            as other_page_view_count

    from daily_page_views
    group by
        fiscal_month_start_date,
        fiscal_year

),

year_to_date as (

    select
        monthly_page_views.*,
        cast(sum(monthly_page_views.page_view_count) over (
            partition by monthly_page_views.fiscal_year
            order by monthly_page_views.fiscal_month_start_date
            rows between unbounded preceding and current row
        ) as bigint) as fiscal_ytd_page_view_count

    from monthly_page_views

),

compared_with_last_year as (

    select
        this_year.fiscal_month_start_date,
        this_year.fiscal_year,
        this_year.page_view_count,
        this_year.pc_page_view_count,
        this_year.smartphone_page_view_count,
        this_year.tablet_page_view_count,
        this_year.other_page_view_count,
        this_year.fiscal_ytd_page_view_count,
        last_year.page_view_count as previous_year_page_view_count,
        {{ pct_change('this_year.page_view_count', 'last_year.page_view_count') }} as yoy_change_pct

    from year_to_date as this_year
    left join monthly_page_views as last_year
        on last_year.fiscal_month_start_date
            = cast({{ dbt.dateadd('month', -12, 'this_year.fiscal_month_start_date') }} as date)

),

final as (

    select
        compared_with_last_year.*,
        annual_target.annual_target_page_views

    from compared_with_last_year
    -- a left join, so a missing target leaves the column null (caught by not_null) instead of emptying the mart
    left join annual_target
        on 1 = 1

)

select * from final
