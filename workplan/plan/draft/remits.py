"""Whose remit a duty falls in, where a document says only “按职责分工负责”.

An item that lists six departments “等按职责分工负责” does not make all six answer for every
sentence: 控辍保学 is the education commission's, 参保 the medical-insurance bureau's.  The
drafter proposes, for each duty, the listed departments whose usual remit the duty's own words
name, and marks the proposal for the office to confirm; a duty whose words name no remit, or
name every listed department's, stays with the whole item.

The table is of the remits county departments commonly hold (三定方案), matched by a part of
the department's name, so 区医保局 and 县医疗保障局 find the same row.  The rural-revitalisation
bureau keeps the roster of 脱贫人口 and 监测对象, which nearly every duty of such a plan names:
those words bring it in beside a department whose own remit the duty names (参保 of 脱贫人口 is
checked against its roster), never alone.
"""

from __future__ import annotations

from collections.abc import Sequence

# (parts of a department's name, words of its remit)
_REMITS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("教委", "教育"), ("控辍保学", "学生资助", "送教上门", "学生", "教育")),
    (("医保", "医疗保障"), ("参保", "医保", "医疗救助", "先诊疗后付费")),
    (("卫生健康", "卫健"), ("村卫生室", "家庭医生", "卫生", "健康")),
    (("住房城乡建", "住建"), ("危房", "住房")),
    (("水利",), ("供水", "饮水", "水利")),
    (("人力社保", "人社", "人力资源"), ("就业", "务工", "岗位", "劳务", "技能培训")),
    (("民政",), ("低保", "特困", "临时救助", "社会救助")),
    (("农业农村",), ("产业", "农产品", "耕地", "农田")),
    (("发展改革", "发改"), ("以工代赈", "政府性投资")),
    (("交通",), ("公路", "交通")),
    (("林业",), ("林业", "森林", "生态护林")),
    (("财政",), ("资金拨付", "资金支出", "预算")),
    (("商务",), ("电商", "消费帮扶", "商贸")),
    (("文化旅游", "文旅"), ("乡村旅游", "文化")),
    (("规划自然资源", "规划和自然资源"), ("用地", "规划")),
    (("生态环境",), ("人居环境", "污水", "生态环境")),
)


# the roster's keeper and the words of its roster
_ROSTER: tuple[tuple[str, ...], tuple[str, ...]] = (
    ("乡村振兴",),
    ("脱贫人口", "监测对象", "低收入人口"),
)


def _words_of(name: str) -> tuple[str, ...]:
    for parts, words in _REMITS:
        if any(part in name for part in parts):
            return words
    return ()


def by_remit(text: str, names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Return the departments of ``names`` whose remit ``text`` names, and the words found.

    Both lists are empty when the words name no remit, or every department's (the duty is
    then the whole item's)."""
    chosen: list[str] = []
    found: list[str] = []
    for name in names:
        hits = [w for w in _words_of(name) if w in text]
        if hits:
            chosen.append(name)
            found += [w for w in hits if w not in found and not any(w in f for f in found)]
    if not chosen:
        return [], []
    parts, roster = _ROSTER
    for name in names:
        hits = [w for w in roster if w in text]
        if hits and name not in chosen and any(part in name for part in parts):
            chosen.append(name)
            found += [w for w in hits if w not in found]
    if len(chosen) == len(names):
        return [], []
    return [n for n in names if n in chosen], found
