with

projects as (

    select * from {{ ref('previous_plan_projects') }}

),

grade_definitions as (

    select * from {{ ref('previous_plan_grade_definitions') }}

),

final as (

    select
        projects.project_no,
        projects.section_no,
        projects.section_name_ja,
        projects.project_name_ja,
        projects.is_added_in_supplement,
        projects.departments_ja,
        projects.grade,
        grade_definitions.criterion_ja as grade_criterion_ja,
        grade_definitions.sort_order as grade_sort_order,
        projects.summary_ja
    from projects
    inner join grade_definitions
        on projects.grade = grade_definitions.grade

)

select * from final
