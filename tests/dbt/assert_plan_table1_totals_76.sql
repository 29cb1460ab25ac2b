-- Table 1 of the plan, exactly: AA 1, A 68, B 6, C 0, その他 1, 合計 76, in that order.
with

evaluation as (

    select * from {{ ref('mart_previous_plan_evaluation') }}

),

printed as (

    select 'AA' as grade, 1 as project_count, 1 as sort_order
    union all select 'A', 68, 2
    union all select 'B', 6, 3
    union all select 'C', 0, 4
    union all select 'その他', 1, 5
    union all select '合計', 76, 6

),

failures as (

    select
        printed.grade,
        printed.project_count as printed_count,
        evaluation.project_count as computed_count
    from printed
    left join evaluation
        on printed.grade = evaluation.grade
    where
        evaluation.grade is null
        or evaluation.project_count != printed.project_count
        or evaluation.sort_order != printed.sort_order
    union all
    select
        evaluation.grade,
        null as printed_count,
        evaluation.project_count as computed_count
    from evaluation
    left join printed
        on evaluation.grade = printed.grade
    where printed.grade is null

)

select * from failures
