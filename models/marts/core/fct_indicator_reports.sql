with

reports as (

    select * from {{ ref('stg_indicator_reports__values') }}

),

final as (

    select
        indicator_id,
        fiscal_year,
        reported_value,
        reported_value_text_ja,
        reporting_department_ja,
        source_file_name,
        loaded_at

    from reports

)

select * from final
