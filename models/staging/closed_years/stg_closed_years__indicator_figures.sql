with

source as (

    select * from {{ source('warehouse', 'closed_year_indicator_figures') }}

),

renamed as (

    select
        -- keys
        cast(fiscal_year as integer) as fiscal_year,
        cast(indicator_id as {{ dbt.type_string() }}) as indicator_id,
        cast(measure_id as integer) as measure_id,

        -- figures as reported
        cast(actual_value as double) as reported_actual_value,
        cast(achievement_rate as double) as reported_achievement_rate,
        cast(progress_status as {{ dbt.type_string() }}) as reported_progress_status,
        cast(target_value as double) as reported_target_value,
        cast(target_text_ja as {{ dbt.type_string() }}) as reported_target_text_ja,
        cast(data_through_date as date) as reported_data_through_date,
        cast(suggested_grade as {{ dbt.type_string() }}) as reported_suggested_grade,
        cast(grade_reason_ja as {{ dbt.type_string() }}) as reported_grade_reason_ja,

        -- lineage
        cast(reported_source_file_name as {{ dbt.type_string() }}) as reported_source_file_name,
        cast(reported_loaded_at as timestamp) as reported_loaded_at,
        cast(reported_warehouse_version as {{ dbt.type_string() }}) as reported_warehouse_version,
        cast(closed_at as timestamp) as closed_at,
        cast(closed_by as {{ dbt.type_string() }}) as closed_by

    from source

)

select * from renamed
