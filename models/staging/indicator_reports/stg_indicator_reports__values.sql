with

source as (

    select * from {{ source('raw', 'indicator_reports') }}

),

renamed as (

    select
        -- keys
        cast(indicator_id as {{ dbt.type_string() }}) as indicator_id,
        cast(fiscal_year as integer) as fiscal_year,

        -- values
        -- milestone indicators (direction reach_by) are reported in words: 導入済, 運用開始, 更新完了 → 1;
        -- 未達成, 未導入, 検討中 → 0; a number is kept as reported
        coalesce(
            cast(reported_value as double),
            case
                when reported_value_text_ja like '未%' or reported_value_text_ja like '%検討中%' then 0.0
                when reported_value_text_ja like '%済%'
                    or reported_value_text_ja like '%完了%'
                    or reported_value_text_ja like '%開始%'
                    or reported_value_text_ja like '%実施%'
                    or reported_value_text_ja like '%導入%'
                    or reported_value_text_ja like '%達成%' then 1.0
            end
        ) as reported_value,
        cast(reported_value_text_ja as {{ dbt.type_string() }}) as reported_value_text_ja,
        cast(comment_ja as {{ dbt.type_string() }}) as comment_ja,
        cast(reporting_department_ja as {{ dbt.type_string() }}) as reporting_department_ja,

        -- lineage
        source_file_name,
        source_file_sha256,
        cast(source_row_number as bigint) as source_row_number,
        cast(loaded_at as timestamp) as loaded_at

    from source

),

ranked_versions as (

    select
        renamed.*,
        row_number() over (
            partition by renamed.indicator_id, renamed.fiscal_year
            order by
                renamed.loaded_at desc,
                renamed.source_file_name desc,
                renamed.source_row_number desc
        ) as version_rank

    from renamed

),

latest_versions as (

    select
        indicator_id,
        fiscal_year,
        reported_value,
        reported_value_text_ja,
        comment_ja,
        reporting_department_ja,
        source_file_name,
        source_file_sha256,
        source_row_number,
        loaded_at

    from ranked_versions
    where version_rank = 1

)

select * from latest_versions
