with

projects as (

    select * from {{ ref('previous_plan_projects') }}

),

grade_definitions as (

    select * from {{ ref('previous_plan_grade_definitions') }}

),

counted as (

    select
        grade,
        count(*) as project_count
    from projects
    group by grade

),

grade_rows as (

    -- 表1 第3次電子区役所推進計画の評価別事業数: one row per grade, counted from the appendix
    select
        grade_definitions.grade,
        grade_definitions.criterion_table1_ja as criterion_ja,
        coalesce(counted.project_count, 0) as project_count,
        grade_definitions.table1_project_count,
        grade_definitions.sort_order
    from grade_definitions
    left join counted
        on grade_definitions.grade = counted.grade

),

total_row as (

    -- 表1's 合計 row
    select
        '合計' as grade,
        cast(null as {{ dbt.type_string() }}) as criterion_ja,
        sum(project_count) as project_count,
        sum(table1_project_count) as table1_project_count,
        6 as sort_order
    from grade_rows

),

unioned as (

    select * from grade_rows
    union all
    select * from total_row

),

final as (

    select
        grade,
        criterion_ja,
        cast(project_count as integer) as project_count,
        cast(table1_project_count as integer) as table1_project_count,
        project_count = table1_project_count as matches_table1,
        cast(sort_order as integer) as sort_order
    from unioned

)

select * from final
