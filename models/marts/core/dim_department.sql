with

plan_owners as (

    select * from {{ ref('int_plan_measure_owner_departments') }}

),

gis_events as (

    select * from {{ ref('stg_gis__events') }}

),

indicator_reports as (

    select * from {{ ref('stg_indicator_reports__values') }}

),

plan_owner_names as (

    select distinct department_name_ja

    from plan_owners

),

gis_names as (

    select distinct
        trim(department_name_ja) as department_name_ja

    from gis_events

),

report_names as (

    select distinct
        trim(reporting_department_ja) as department_name_ja

    from indicator_reports

),

all_names as (

    select department_name_ja, 1 as is_plan_owner, 0 as has_gis_events, 0 as has_indicator_reports
    from plan_owner_names
    union all
    select department_name_ja, 0 as is_plan_owner, 1 as has_gis_events, 0 as has_indicator_reports
    from gis_names
    union all
    select department_name_ja, 0 as is_plan_owner, 0 as has_gis_events, 1 as has_indicator_reports
    from report_names

),

departments as (

    select
        department_name_ja,
        max(is_plan_owner) = 1 as is_plan_owner,
        max(has_gis_events) = 1 as has_gis_events,
        max(has_indicator_reports) = 1 as has_indicator_reports

    from all_names
    where department_name_ja is not null
        and department_name_ja <> ''
    group by department_name_ja

),

final as (

    select
        {{ dbt.hash('department_name_ja') }} as department_id,
        department_name_ja,
        is_plan_owner,
        has_gis_events,
        has_indicator_reports

    from departments

)

select * from final
