with

source as (

    select * from {{ source('raw', 'measure_evaluations') }}

),

renamed as (

    select
        -- keys
        cast(measure_id as integer) as measure_id,
        cast(fiscal_year as integer) as fiscal_year,

        -- the owner department's entries
        cast(self_assessed_grade as {{ dbt.type_string() }}) as self_assessed_grade,
        cast(department_remark_ja as {{ dbt.type_string() }}) as department_remark_ja,
        cast(next_year_plan_ja as {{ dbt.type_string() }}) as next_year_plan_ja,

        -- the ICT推進・活用本部's decision
        cast(decided_grade as {{ dbt.type_string() }}) as decided_grade,
        cast(decided_reason_ja as {{ dbt.type_string() }}) as decided_reason_ja,

        -- lineage
        source_file_name,
        source_file_sha256,
        cast(source_row_number as bigint) as source_row_number,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed
