with

reported as (

    select * from {{ ref('stg_closed_years__indicator_figures') }}

),

current_progress as (

    select * from {{ ref('int_indicator_progress_scored') }}

),

current_grades as (

    select * from {{ ref('int_measure_grades') }}

),

indicator_reports as (

    select * from {{ ref('fct_indicator_reports') }}

),

reported_joined_to_current as (

    select
        reported.*,
        current_progress.actual_value as current_actual_value,
        current_progress.achievement_rate as current_achievement_rate,
        current_progress.progress_status as current_progress_status,
        current_progress.source_table as current_source_table,
        current_grades.suggested_grade as current_suggested_grade,
        indicator_reports.source_file_name as current_source_file_name,
        indicator_reports.loaded_at as current_loaded_at

    from reported
    left join current_progress
        on
            reported.indicator_id = current_progress.indicator_id
            and reported.fiscal_year = current_progress.fiscal_year
    left join current_grades
        on
            reported.measure_id = current_grades.measure_id
            and reported.fiscal_year = current_grades.fiscal_year
    left join indicator_reports
        on
            reported.indicator_id = indicator_reports.indicator_id
            and reported.fiscal_year = indicator_reports.fiscal_year

),

revisions_flagged as (

    select
        *,
        -- 確定後の修正: the figure differs from the one reported (rounded: sums of doubles may differ in the
        -- last bits between builds)
        coalesce(
            round(reported_actual_value, 6) <> round(current_actual_value, 6),
            (reported_actual_value is null) <> (current_actual_value is null)
        ) as is_revised_after_closing

    from reported_joined_to_current

),

final as (

    select
        indicator_id,
        measure_id,
        fiscal_year,
        reported_actual_value,
        reported_achievement_rate,
        reported_progress_status,
        reported_target_value,
        reported_target_text_ja,
        reported_data_through_date,
        reported_suggested_grade,
        reported_grade_reason_ja,
        reported_source_file_name,
        reported_loaded_at,
        reported_warehouse_version,
        closed_at,
        closed_by,
        current_actual_value,
        current_achievement_rate,
        current_progress_status,
        current_suggested_grade,
        is_revised_after_closing,
        case when is_revised_after_closing then current_source_file_name end as revision_source_file_name,
        case when is_revised_after_closing then current_source_table end as revision_source_table,
        case when is_revised_after_closing then cast(current_loaded_at as date) end as revision_loaded_date

    from revisions_flagged

)

select * from final
