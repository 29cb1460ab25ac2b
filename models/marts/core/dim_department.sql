with

measures as (

    select * from {{ ref('plan_measures') }}

),

gis_events as (

    select * from {{ ref('stg_gis__events') }}

),

indicator_reports as (

    select * from {{ ref('stg_indicator_reports__values') }}

),

part_numbers as (

    select 1 as part_number
    union all select 2
    union all select 3
    union all select 4
    union all select 5
    union all select 6

),

plan_owner_names as (

    -- 所管課 cells list several departments separated by '、'; 'ほか' ("and others") is not a department
    select distinct
        trim({{ dbt.replace(dbt.split_part('measures.owner_departments_ja', "'、'", 'part_numbers.part_number'), "'ほか'", "''") }})
            as department_name_ja

    from measures
    cross join part_numbers
    where measures.owner_departments_ja is not null

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
