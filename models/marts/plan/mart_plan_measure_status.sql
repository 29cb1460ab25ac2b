with

grades as (

    select * from {{ ref('int_measure_grades') }}

),

measures as (

    select * from {{ ref('plan_measures') }}

),

goals as (

    select * from {{ ref('plan_basic_goals') }}

),

evaluations as (

    select * from {{ ref('fct_measure_evaluations') }}

),

final as (

    select
        -- ids
        grades.measure_id,
        grades.fiscal_year,
        measures.strategy_id,
        measures.main_goal_id,

        -- labels
        measures.name_ja as measure_name_ja,
        measures.name_en as measure_name_en,
        goals.name_ja as goal_name_ja,
        goals.name_en as goal_name_en,
        measures.owner_departments_ja,

        -- indicator counts by status
        grades.indicator_count,
        grades.evaluated_count,
        grades.achieved_count,
        grades.on_track_count,
        grades.at_risk_count,
        grades.off_track_count,
        grades.no_data_count,
        grades.not_evaluable_count,

        -- status: the worst status among the measure's indicators; graded indicators win over missing ones
        case
            when grades.off_track_count > 0 then 'off_track'
            when grades.at_risk_count > 0 then 'at_risk'
            when grades.on_track_count > 0 then 'on_track'
            when grades.achieved_count > 0 then 'achieved'
            when grades.not_evaluable_count > 0 then 'not_evaluable'
            else 'no_data'
        end as measure_status,

        -- grade
        grades.computed_grade,
        grades.computed_reason_ja,
        grades.computed_reason_en,
        grades.suggested_grade,
        grades.grade_reason_ja,
        grades.grade_reason_en,
        grades.is_human_decision,
        grades.decided_by,
        grades.decided_on,

        -- the yearly evaluation: the department's self-assessment, the ICT推進・活用本部's decision
        evaluations.self_assessed_grade,
        evaluations.department_remark_ja,
        evaluations.next_year_plan_ja,
        grades.decided_grade,
        grades.decided_reason_ja,
        grades.decision_source,

        -- lineage of the evaluation: the workbook, when and by which run it was loaded
        evaluations.source_file_name,
        evaluations.source_file_sha256,
        evaluations.loaded_at as evaluation_loaded_at,
        evaluations.run_id as evaluation_run_id
    from grades
    inner join measures
        on grades.measure_id = measures.measure_id
    inner join goals
        on measures.main_goal_id = goals.goal_id
    left join evaluations
        on
            grades.measure_id = evaluations.measure_id
            and grades.fiscal_year = evaluations.fiscal_year

)

select * from final
