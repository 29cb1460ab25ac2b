with

source as (

    select * from {{ source('raw', 'facilities') }}

),

renamed as (

    select
        -- keys
        cast(facility_code as {{ dbt.type_string() }}) as facility_code,

        -- attributes
        cast(facility_name_ja as {{ dbt.type_string() }}) as facility_name_ja,
        cast(facility_kind_ja as {{ dbt.type_string() }}) as facility_kind_ja,
        cast(address_ja as {{ dbt.type_string() }}) as address_ja,
        cast(postal_code as {{ dbt.type_string() }}) as postal_code,
        cast(source_layout as {{ dbt.type_string() }}) as source_layout,

        -- numerics
        cast(latitude as double) as latitude,
        cast(longitude as double) as longitude,

        -- booleans
        (
            source_layout = 'kyoiku_kikan'
            or coalesce(facility_kind_ja, '') like '%学校%'
        ) as is_school,

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
            partition by renamed.facility_code
            order by
                renamed.loaded_at desc,
                renamed.source_file_name desc,
                renamed.source_row_number desc
        ) as version_rank

    from renamed

),

latest_versions as (

    select
        facility_code,
        facility_name_ja,
        facility_kind_ja,
        address_ja,
        postal_code,
        source_layout,
        latitude,
        longitude,
        is_school,
        source_file_name,
        source_file_sha256,
        source_row_number,
        loaded_at

    from ranked_versions
    where version_rank = 1

)

select * from latest_versions
