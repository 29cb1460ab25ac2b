{#- Suggested grade per measure and fiscal year from its indicators' statuses, unless a human decision is recorded
    (in the returned 取り組み状況 workbook, else in seeds/measure_grade_decisions). -#}

with

scored as (

    select * from {{ ref('int_indicator_progress_scored') }}

),

measures as (

    select * from {{ ref('plan_measures') }}

),

seed_decisions as (

    select * from {{ ref('measure_grade_decisions') }}

),

workbook_decisions as (

    select * from {{ ref('stg_evaluations__measure_evaluations') }}
    where decided_grade is not null

),

-- a grade decided in the returned 取り組み状況 workbook wins over one recorded in the seed for the same year
decisions as (

    select
        measure_id,
        fiscal_year,
        decided_grade as grade,
        'ICT推進・活用本部' as decided_by,
        cast(loaded_at as date) as decided_on,
        decided_reason_ja as reason_ja,
        'workbook' as decision_source
    from workbook_decisions

    union all

    select
        seed_decisions.measure_id,
        seed_decisions.fiscal_year,
        seed_decisions.grade,
        seed_decisions.decided_by,
        seed_decisions.decided_on,
        seed_decisions.reason_ja,
        'seed' as decision_source
    from seed_decisions
    left join workbook_decisions
        on
            seed_decisions.measure_id = workbook_decisions.measure_id
            and seed_decisions.fiscal_year = workbook_decisions.fiscal_year
    where workbook_decisions.measure_id is null

),

fiscal_years as (

    {{ kpi_fiscal_year_spine() }}

),

measure_years as (

    select
        measures.measure_id,
        fiscal_years.fiscal_year
    from measures
    cross join fiscal_years

),

status_counts as (

    select
        measure_years.measure_id,
        measure_years.fiscal_year,
        count(scored.indicator_id) as indicator_count,
        sum(case when scored.progress_status = 'achieved' then 1 else 0 end) as achieved_count,
        sum(case when scored.progress_status = 'on_track' then 1 else 0 end) as on_track_count,
        sum(case when scored.progress_status = 'at_risk' then 1 else 0 end) as at_risk_count,
        sum(case when scored.progress_status = 'off_track' then 1 else 0 end) as off_track_count,
        sum(case when scored.progress_status = 'no_data' then 1 else 0 end) as no_data_count,
        sum(case when scored.progress_status = 'not_evaluable' then 1 else 0 end) as not_evaluable_count
    from measure_years
    left join scored
        on
            measure_years.measure_id = scored.measure_id
            and measure_years.fiscal_year = scored.fiscal_year
    group by
        measure_years.measure_id,
        measure_years.fiscal_year

),

suggested as (

    select
        *,
        achieved_count + on_track_count + at_risk_count + off_track_count as evaluated_count,
        case
            when not_evaluable_count > 0 then 'not_evaluable'
            when no_data_count = indicator_count then 'not_evaluable'
            -- A 計画どおり進捗: every evaluated indicator achieved or on track
            when at_risk_count + off_track_count = 0 then 'A'
            -- C 実績が計画を下回る: more than half of the evaluated indicators off track
            when 2 * off_track_count > achieved_count + on_track_count + at_risk_count + off_track_count then 'C'
            -- B 概ね計画どおり
            else 'B'
        end as suggested_grade
    from status_counts

),

reasoned as (

    select
        *,
        case
            when suggested_grade = 'not_evaluable' and not_evaluable_count > 0
                then {{ dbt.concat(["'指標'", "cast(indicator_count as " ~ dbt.type_string() ~ ")", "'件中'", "cast(not_evaluable_count as " ~ dbt.type_string() ~ ")", "'件のデータが古いか品質確認が済んでいないため評価できない'"]) }}
            when suggested_grade = 'not_evaluable' and indicator_count = 0
                then '指標が設定されていないため評価できない'
            when suggested_grade = 'not_evaluable'
                then {{ dbt.concat(["'指標'", "cast(indicator_count as " ~ dbt.type_string() ~ ")", "'件すべての実績データがないため評価できない'"]) }}
            when suggested_grade = 'A'
                then {{ dbt.concat(["'指標'", "cast(evaluated_count as " ~ dbt.type_string() ~ ")", "'件中'", "cast(achieved_count + on_track_count as " ~ dbt.type_string() ~ ")", "'件が目標達成または順調'"]) }}
            when suggested_grade = 'C'
                then {{ dbt.concat(["'指標'", "cast(evaluated_count as " ~ dbt.type_string() ~ ")", "'件中'", "cast(off_track_count as " ~ dbt.type_string() ~ ")", "'件が計画を下回る（過半数）'"]) }}
            else {{ dbt.concat(["'指標'", "cast(evaluated_count as " ~ dbt.type_string() ~ ")", "'件中'", "cast(achieved_count + on_track_count as " ~ dbt.type_string() ~ ")", "'件が目標達成または順調、'", "cast(at_risk_count + off_track_count as " ~ dbt.type_string() ~ ")", "'件が遅れ気味または遅れ'"]) }}
        end as suggested_reason_ja,
        case
            when suggested_grade = 'not_evaluable' and not_evaluable_count > 0
                then {{ dbt.concat(["cast(not_evaluable_count as " ~ dbt.type_string() ~ ")", "' of '", "cast(indicator_count as " ~ dbt.type_string() ~ ")", "' indicators have stale or unchecked data'"]) }}
            when suggested_grade = 'not_evaluable' and indicator_count = 0
                then 'No indicators are defined for the measure'
            when suggested_grade = 'not_evaluable'
                then {{ dbt.concat(["'No actuals for any of the '", "cast(indicator_count as " ~ dbt.type_string() ~ ")", "' indicators'"]) }}
            when suggested_grade = 'A'
                then {{ dbt.concat(["cast(achieved_count + on_track_count as " ~ dbt.type_string() ~ ")", "' of '", "cast(evaluated_count as " ~ dbt.type_string() ~ ")", "' indicators achieved or on track'"]) }}
            when suggested_grade = 'C'
                then {{ dbt.concat(["cast(off_track_count as " ~ dbt.type_string() ~ ")", "' of '", "cast(evaluated_count as " ~ dbt.type_string() ~ ")", "' indicators off track (more than half)'"]) }}
            else {{ dbt.concat(["cast(achieved_count + on_track_count as " ~ dbt.type_string() ~ ")", "' of '", "cast(evaluated_count as " ~ dbt.type_string() ~ ")", "' indicators achieved or on track, '", "cast(at_risk_count + off_track_count as " ~ dbt.type_string() ~ ")", "' at risk or off track'"]) }}
        end as suggested_reason_en
    from suggested

),

final as (

    select
        reasoned.measure_id,
        reasoned.fiscal_year,
        reasoned.indicator_count,
        reasoned.evaluated_count,
        reasoned.achieved_count,
        reasoned.on_track_count,
        reasoned.at_risk_count,
        reasoned.off_track_count,
        reasoned.no_data_count,
        reasoned.not_evaluable_count,
        reasoned.suggested_grade as computed_grade,
        reasoned.suggested_reason_ja as computed_reason_ja,
        reasoned.suggested_reason_en as computed_reason_en,
        coalesce(decisions.grade, reasoned.suggested_grade) as suggested_grade,
        case
            when decisions.grade is not null
                then {{ dbt.concat(["'評価会議の決定（'", "decisions.decided_by", "'）: '", "decisions.reason_ja"]) }}
            else reasoned.suggested_reason_ja
        end as grade_reason_ja,
        case
            when decisions.grade is not null
                then {{ dbt.concat(["'Decided by '", "decisions.decided_by", "'; computed grade '", "reasoned.suggested_grade", "': '", "reasoned.suggested_reason_en"]) }}
            else reasoned.suggested_reason_en
        end as grade_reason_en,
        decisions.grade is not null as is_human_decision,
        decisions.decided_by,
        decisions.decided_on,
        decisions.grade as decided_grade,
        decisions.reason_ja as decided_reason_ja,
        decisions.decision_source
    from reasoned
    left join decisions
        on
            reasoned.measure_id = decisions.measure_id
            and reasoned.fiscal_year = decisions.fiscal_year

)

select * from final
