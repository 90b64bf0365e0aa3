"""The one message catalog: zh-CN (default) and English.

Every user-facing string goes through :func:`t`. Keys are grouped by screen. A test checks
that every key has both languages and that both take the same placeholders.
"""

from __future__ import annotations

LANGS = ("zh", "en")
_lang = "zh"

CATALOG: dict[str, dict[str, str]] = {
    # app shell
    "app.title": {"zh": "坐席工作台", "en": "Agent desk"},
    "app.agent": {"zh": "坐席", "en": "Agent"},
    "app.db": {"zh": "库", "en": "DB"},
    "app.sync": {"zh": "同步", "en": "Sync"},
    "app.sync.none": {"zh": "未配置中心库", "en": "no central store"},
    "app.sync.local": {"zh": "本地", "en": "local"},
    "app.opening": {"zh": "正在打开数据库…", "en": "Opening the database…"},
    "app.ready": {"zh": "就绪", "en": "ready"},
    "app.demo_filled": {
        "zh": "空数据库：已填入演示数据（{customers} 户，{tickets} 张工单）",
        "en": "Empty database: filled with demo data ({customers} customers, {tickets} tickets)",
    },
    "app.store_error": {"zh": "数据库不可用：{error}", "en": "Database unavailable: {error}"},
    "app.readonly": {"zh": "只读", "en": "read-only"},
    "key.lookup": {"zh": "查户", "en": "Lookup"},
    "key.kb": {"zh": "知识库", "en": "Knowledge"},
    "key.ticket": {"zh": "工单", "en": "Ticket"},
    "key.queue": {"zh": "时限队列", "en": "Queue"},
    "key.quit": {"zh": "退出", "en": "Quit"},
    "key.search": {"zh": "搜索", "en": "Search"},
    "key.new_ticket": {"zh": "建单", "en": "New ticket"},
    "cmd.lookup.help": {"zh": "按电话、户号、姓名、地址查找来电客户",
                        "en": "Find the caller by phone, account, name or address"},
    "cmd.kb.help": {"zh": "搜索知识库，照答复口径回答", "en": "Search the knowledge base"},
    "cmd.ticket.help": {"zh": "新建或查看工单", "en": "Create or view a ticket"},
    "cmd.queue.help": {"zh": "我负责的工单及其时限倒计时",
                       "en": "My tickets and their SLA countdowns"},
    # lookup screen
    "lookup.title": {"zh": "查户", "en": "Caller lookup"},
    "lookup.placeholder": {"zh": "电话 / 尾号 / 户号 / 姓名 / 地址",
                           "en": "Phone / last digits / account / name / address"},
    "lookup.col.account": {"zh": "户号", "en": "Account"},
    "lookup.col.name": {"zh": "户名", "en": "Name"},
    "lookup.col.phone": {"zh": "电话", "en": "Phone"},
    "lookup.col.address": {"zh": "地址", "en": "Address"},
    "lookup.col.match": {"zh": "匹配", "en": "Match"},
    "lookup.none": {"zh": "没有找到匹配的客户", "en": "No matching customer"},
    "lookup.hint": {"zh": "输入后自动搜索；↑↓ 选择，回车看客户卡",
                    "en": "Type to search; ↑↓ to choose, Enter for the card"},
    "lookup.count": {"zh": "找到 {n} 户", "en": "{n} found"},
    "match.account": {"zh": "户号", "en": "account"},
    "match.phone": {"zh": "电话", "en": "phone"},
    "match.name": {"zh": "姓名", "en": "name"},
    "match.phone_suffix": {"zh": "电话尾号", "en": "phone suffix"},
    "match.pinyin": {"zh": "拼音", "en": "pinyin"},
    "match.address": {"zh": "地址", "en": "address"},
    # customer card
    "card.title": {"zh": "客户卡", "en": "Customer card"},
    "card.empty": {"zh": "选择一个客户查看客户卡", "en": "Choose a customer to see the card"},
    "card.account": {"zh": "户号", "en": "Account"},
    "card.utility": {"zh": "类别", "en": "Utility"},
    "card.class": {"zh": "用户分类", "en": "Class"},
    "card.address": {"zh": "地址", "en": "Address"},
    "card.phones": {"zh": "电话", "en": "Phones"},
    "card.meter": {"zh": "表号", "en": "Meter"},
    "card.credit": {"zh": "信用", "en": "Credit list"},
    "card.arrears": {"zh": "欠费", "en": "Arrears"},
    "card.arrears.value": {"zh": "{yuan} 元（{periods} 期）", "en": "¥{yuan} ({periods} periods)"},
    "card.tags": {"zh": "特殊关怀", "en": "Vulnerability"},
    "card.key_level": {"zh": "重要客户", "en": "Key customer"},
    "card.key_level.value": {"zh": "{level} 级", "en": "level {level}"},
    "card.notices": {"zh": "停水/停电公告", "en": "Outage notices"},
    "card.notice.active": {"zh": "进行中", "en": "in force"},
    "card.notice.upcoming": {"zh": "即将开始", "en": "upcoming"},
    "card.notice.planned": {"zh": "计划", "en": "planned"},
    "card.notice.unplanned": {"zh": "故障", "en": "unplanned"},
    "card.tickets": {"zh": "未结工单", "en": "Open tickets"},
    "card.tickets.none": {"zh": "无", "en": "none"},
    "card.overdue": {"zh": "已超时", "en": "overdue"},
    "card.due": {"zh": "时限 {due}", "en": "due {due}"},
    "card.contacts": {"zh": "最近来电", "en": "Recent contacts"},
    "card.contacts.none": {"zh": "无记录", "en": "none"},
    "card.repeat.calls": {"zh": "重复来电：7 天内来电 {n} 次", "en": "Repeat caller: {n} contacts in 7 days"},
    "card.repeat.overdue": {"zh": "有超时未结工单", "en": "An open ticket is overdue"},
    "card.unknown": {"zh": "未知来电 {number}：没有找到客户", "en": "Unknown caller {number}: no customer found"},
    "card.unknown.hint": {"zh": "按 Ctrl+N 为该来电建单；核实户号后可再次查询",
                          "en": "Press Ctrl+N to open a ticket for this call; search again once "
                                "the caller gives an account number"},
    "pop.ringing": {"zh": "来电 {number}", "en": "Incoming call {number}"},
    "pop.busy": {"zh": "另一个坐席窗口已在接收来电弹屏", "en": "Another desk window already receives screen pops"},
    "meter.mechanical": {"zh": "机械表", "en": "mechanical"},
    "meter.smart": {"zh": "智能表", "en": "smart"},
    "meter.prepaid": {"zh": "预付费表", "en": "prepaid"},
    "channel.phone": {"zh": "电话", "en": "phone"},
    "channel.app": {"zh": "App", "en": "app"},
    "channel.wechat": {"zh": "微信", "en": "WeChat"},
    "channel.12345": {"zh": "12345转办", "en": "12345 transfer"},
    "channel.counter": {"zh": "柜台", "en": "counter"},
    "utility.water": {"zh": "供水", "en": "Water"},
    "utility.power": {"zh": "供电", "en": "Power"},
    "credit.red": {"zh": "红名单", "en": "red list"},
    "credit.grey": {"zh": "灰名单", "en": "grey list"},
    "credit.black": {"zh": "黑名单", "en": "black list"},
    "credit.none": {"zh": "无", "en": "none"},
    # knowledge base, ticket placeholders (their issues build them)
    "kb.title": {"zh": "知识库", "en": "Knowledge base"},
    "kb.placeholder": {"zh": "来电人的问题，如：水压低 / 停电报修 / tsd（标题拼音首字母）",
                       "en": "The caller's question, e.g. 水压低 / 停电报修 / tsd (title initials)"},
    "kb.hint": {"zh": "输入即搜索；↑↓ 选择文章，回车看全文", "en": "Type to search; ↑↓ to choose, Enter to read"},
    "kb.count": {"zh": "找到 {n} 篇文章", "en": "{n} articles found"},
    "kb.none": {"zh": "没有找到相关文章，换个说法试试", "en": "No matching article; try other words"},
    "kb.article.empty": {"zh": "选择一篇文章查看全文", "en": "Choose an article to read it"},
    "kb.article.meta": {"zh": "{id} · 负责：{owner} · 复审日期：{due}",
                        "en": "{id} · owner: {owner} · review due: {due}"},
    "kb.article.overdue": {"zh": "已过复审日期，答复前请核实",
                           "en": "Past its review date: check before answering"},
    "kb.key.copy": {"zh": "引用口径", "en": "Use answer"},
    "kb.key.link": {"zh": "关联工单", "en": "Link to ticket"},
    "kb.key.review": {"zh": "待复审", "en": "Review due"},
    "kb.copied": {"zh": "已把《{title}》的答复口径放入工单", "en": "Answer of “{title}” put into the ticket"},
    "kb.no_article": {"zh": "请先选择一篇文章", "en": "Choose an article first"},
    "kb.no_answer": {"zh": "这篇文章没有“答复口径”一节", "en": "This article has no 答复口径 (answer) section"},
    "kb.no_ticket": {"zh": "当前没有打开的工单，无法关联", "en": "No ticket open: nothing to link to"},
    "kb.linked": {"zh": "已把《{title}》关联到工单", "en": "“{title}” linked to the ticket"},
    "kb.already_linked": {"zh": "《{title}》已关联过这张工单",
                          "en": "“{title}” was already linked to the ticket"},
    "kb.link_failed": {"zh": "关联失败：{error}", "en": "Could not link: {error}"},
    "kb.review.count": {"zh": "{n} 篇文章已过复审日期（Ctrl+R 返回搜索）",
                        "en": "{n} articles past their review date (Ctrl+R: back to search)"},
    "kb.review.none": {"zh": "没有过期未复审的文章", "en": "No article is past its review date"},
    "kb.review.item": {"zh": "应于 {due} 复审 · 负责：{owner}", "en": "review due {due} · owner: {owner}"},
    "kb.review.never": {"zh": "未记录复审日期", "en": "never reviewed"},
    "kb.error.empty": {"zh": "请输入要查的问题", "en": "Type a question to search"},
    "kb.error.nothing": {"zh": "查询里没有可搜索的文字（只有标点或表情）",
                         "en": "Nothing searchable in the query (only punctuation or emoji)"},
    "ticket.title": {"zh": "工单", "en": "Ticket"},
    "ticket.for": {"zh": "来电客户：{name}（{account}）", "en": "Caller: {name} ({account})"},
    "ticket.no_caller": {"zh": "未关联客户（可在查户页选择来电客户后按 Ctrl+N）",
                         "en": "No caller chosen (choose one on the lookup screen, Ctrl+N)"},
    "ticket.category.placeholder": {"zh": "类别：拼音首字母 / 中文 / 代码，如 bg 爆管",
                                    "en": "Category: pinyin initials / Chinese / code, e.g. bg"},
    "ticket.description": {"zh": "问题描述", "en": "Description"},
    "ticket.location.placeholder": {"zh": "问题地点（与户籍地址不同时填写）",
                                    "en": "Location (when not at the account's address)"},
    "ticket.party.placeholder": {"zh": "被投诉对象（投诉必填）",
                                 "en": "Complained-about party (complaints)"},
    "ticket.sla.empty": {"zh": "选定类别后显示优先级和各项时限",
                         "en": "Choose a category to see the priority and deadlines"},
    "ticket.priority": {"zh": "优先级", "en": "Priority"},
    "ticket.sla.callback_after": {"zh": "回单后 24 小时内", "en": "within 24 h of resolution"},
    "sla.first_response": {"zh": "首次响应", "en": "First response"},
    "sla.arrival": {"zh": "到场", "en": "On site"},
    "sla.resolution": {"zh": "办结", "en": "Resolution"},
    "sla.callback": {"zh": "回访", "en": "Call-back"},
    "ticket.key.save": {"zh": "保存", "en": "Save"},
    "ticket.need_category": {"zh": "请先选择类别", "en": "Choose a category first"},
    "ticket.saved": {"zh": "工单 {number} 已受理，您是首问责任人",
                     "en": "Ticket {number} accepted; you are its first responder"},
    "ticket.linked": {"zh": "已记入工单 {number}，不重复派单",
                      "en": "Recorded on ticket {number}; not dispatched again"},
    "ticket.notice_told": {"zh": "已告知来电人停水/停电公告：{title}，未新建报修",
                           "en": "Caller told about the notice: {title}; no repair opened"},
    "ticket.dup.title": {"zh": "可能重复：以下已在处理", "en": "Possible duplicate: already in hand"},
    "ticket.dup.ticket": {"zh": "工单", "en": "ticket"},
    "ticket.dup.incident": {"zh": "事件", "en": "incident"},
    "ticket.dup.notice": {"zh": "公告", "en": "notice"},
    "ticket.dup.keys": {"zh": "回车：关联第一项（不重复派单）  N：仍然新建  Esc：返回",
                        "en": "Enter: link to the first (no new dispatch)  N: new ticket "
                              "anyway  Esc: back"},
    "ticket.answer_pending": {"zh": "将随工单记入知识库答复：{article}",
                              "en": "The knowledge-base answer {article} will be recorded with it"},
    "ticket.key.handover": {"zh": "转交", "en": "Hand over"},
    "ticket.handover.title": {"zh": "转交工单 {number}（首问责任人不变）",
                              "en": "Hand over ticket {number} (the first responder stays)"},
    "ticket.handover.agent": {"zh": "接收坐席工号", "en": "Agent code of the new owner"},
    "ticket.handover.reason": {"zh": "转交原因（必填），回车确认", "en": "Reason (required), Enter"},
    "ticket.handover.none": {"zh": "请先保存工单再转交", "en": "Save the ticket before handing it over"},
    "ticket.handover.done": {"zh": "工单 {number} 已转交给 {agent}", "en": "Ticket {number} handed over to {agent}"},
    "ticket.dup.detail.same_address": {"zh": "同一地址", "en": "same address"},
    "ticket.dup.detail.same_building": {"zh": "同一楼栋", "en": "same building"},
    "ticket.dup.detail.open_incident": {"zh": "处理中的事件", "en": "open incident"},
    "ticket.dup.detail.notice_in_force": {"zh": "公告生效中", "en": "outage notice in force"},
    "ticket.dup.link": {"zh": "关联", "en": "Link"},
    "ticket.dup.new": {"zh": "仍新建", "en": "New anyway"},
    "ticket.dup.cancel": {"zh": "返回", "en": "Back"},
    # queue
    "queue.title": {"zh": "时限队列", "en": "SLA queue"},
    "queue.col.number": {"zh": "工单号", "en": "Ticket"},
    "queue.col.caller": {"zh": "来电人", "en": "Caller"},
    "queue.col.category": {"zh": "类别", "en": "Category"},
    "queue.col.priority": {"zh": "优先级", "en": "Priority"},
    "queue.col.status": {"zh": "状态", "en": "Status"},
    "queue.col.due": {"zh": "下一时限", "en": "Next due"},
    "queue.count": {"zh": "我负责的未结工单 {n} 张 · 15 分钟内到期 {soon} · 已超时 {late}",
                    "en": "{n} open tickets of mine · {soon} due within 15 min · {late} breached"},
    "queue.paused": {"zh": "暂停", "en": "paused"},
    "queue.alert.warning": {"zh": "工单 {number} 的{clock}时限已用 80%",
                            "en": "Ticket {number}: 80% of the {clock} clock used"},
    "queue.alert.escalation": {"zh": "工单 {number} 的{clock}已超时，已督办",
                               "en": "Ticket {number}: {clock} breached, escalated"},
    "priority.urgent": {"zh": "紧急", "en": "urgent"},
    "priority.important": {"zh": "重要", "en": "important"},
    "priority.general": {"zh": "一般", "en": "general"},
    "status.accepted": {"zh": "受理", "en": "accepted"},
    "status.dispatched": {"zh": "派单", "en": "dispatched"},
    "status.on_site": {"zh": "到场", "en": "on site"},
    "status.resolved": {"zh": "回单", "en": "resolved"},
    "status.called_back": {"zh": "回访", "en": "called back"},
    "status.archived": {"zh": "归档", "en": "archived"},
    # CLI
    "cli.demo.done": {
        "zh": "演示数据：{customers} 户，{phones} 个电话，{tickets} 张工单，用时 {seconds:.1f} 秒",
        "en": "Demo data: {customers} customers, {phones} phones, {tickets} tickets in "
              "{seconds:.1f} s",
    },
    # monitor
    # training
    # sync
}


class UnknownLanguage(ValueError):
    pass


def set_lang(lang: str) -> None:
    global _lang
    if lang not in LANGS:
        raise UnknownLanguage(f"unknown language {lang!r} (known: {', '.join(LANGS)})")
    _lang = lang


def lang() -> str:
    return _lang


def t(key: str, **values: object) -> str:
    """The message for ``key`` in the current language, with ``values`` filled in.

    The result is plain text: widgets must render it as text, never as markup.
    """
    entry = CATALOG.get(key)
    if entry is None:
        return key  # a missing key shows itself rather than crashing a screen
    text = entry.get(_lang) or entry["zh"]
    return text.format(**values) if values else text
