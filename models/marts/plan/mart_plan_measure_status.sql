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
        grades.suggested_grade,
        grades.grade_reason_ja,
        grades.grade_reason_en,
        grades.is_human_decision,
        grades.decided_by,
        grades.decided_on
    from grades
    inner join measures
        on grades.measure_id = measures.measure_id
    inner join goals
        on measures.main_goal_id = goals.goal_id

)

select * from final
