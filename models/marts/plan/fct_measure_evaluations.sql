with

evaluations as (

    select * from {{ ref('stg_evaluations__measure_evaluations') }}

),

measures as (

    select * from {{ ref('plan_measures') }}

),

file_versions as (

    select * from {{ source('load', 'lake_file_versions') }}

),

final as (

    select
        -- keys
        evaluations.measure_id,
        evaluations.fiscal_year,
        measures.owner_departments_ja,

        -- the owner department's entries
        evaluations.self_assessed_grade,
        evaluations.department_remark_ja,
        evaluations.next_year_plan_ja,

        -- the ICT推進・活用本部's decision
        evaluations.decided_grade,
        evaluations.decided_reason_ja,

        -- lineage
        evaluations.source_file_name,
        evaluations.source_file_sha256,
        evaluations.source_row_number,
        evaluations.loaded_at,
        file_versions.run_id

    from evaluations
    inner join measures
        on evaluations.measure_id = measures.measure_id
    left join file_versions
        on evaluations.source_file_sha256 = file_versions.source_file_sha256

)

select * from final
