with

indicators as (

    select * from {{ ref('plan_indicators') }}

),

measures as (

    select * from {{ ref('plan_measures') }}

),

final as (

    select
        -- keys
        indicators.indicator_id,
        indicators.measure_id,
        measures.strategy_id,
        measures.main_goal_id,

        -- descriptions
        indicators.indicator_seq,
        indicators.sub_item_ja,
        indicators.name_ja,
        indicators.name_en,
        indicators.note_ja,
        measures.name_ja as measure_name_ja,
        measures.name_en as measure_name_en,

        -- measurement
        indicators.unit,
        indicators.direction,
        indicators.baseline_text_ja,
        indicators.baseline_value,
        indicators.baseline_fiscal_year,
        indicators.target_text_ja,
        indicators.target_value,
        indicators.target_fiscal_year,
        indicators.target_is_above_baseline,

        -- source of actuals
        indicators.source_kind,
        indicators.source_name,
        indicators.source_lake_tables,
        indicators.owner_departments_ja

    from indicators
    inner join measures
        on indicators.measure_id = measures.measure_id

)

select * from final
