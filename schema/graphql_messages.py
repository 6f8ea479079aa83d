"""GraphQL's own errors (syntax, validation, variables that do not coerce) in Chinese: a table
of graphql-core's English messages (regex) and the Chinese sentence for each, naming the field,
argument or variable as the client wrote it with its glossary term, e.g.
「用户」没有字段 usrname，是否要写 username（用户名）？ The English original rides along in
`extensions.detail`; `extensions.field` is the path of the offending input where there is one
(a variable's path as sent, `input.items.3.houseId`, or an argument's name).

No sentence names an API operation: a root field of Query, Mutation or Subscription is called by
its Chinese term (「房屋信息变更：新建业务单」), never by `createHouseInfoChange`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from graphql import (
    DocumentNode, FieldNode, GraphQLError, GraphQLSchema, ListValueNode, ObjectValueNode, OperationDefinitionNode,
    VariableNode,
)

from schema import glossary

ROOTS = {"Query": "查询", "Mutation": "修改", "Subscription": "订阅"}
OPERATION_KINDS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
CJK = glossary.CJK


@dataclass
class Said:
    message: str
    field: str | None = None


# --- words -----------------------------------------------------------------------------------

def type_term(type_ref: str) -> str:
    """「用户」 for User, 「标识列表」 for [ID!]!: the Chinese term, or the name where there is none."""
    base = type_ref.strip("[]!")
    term = glossary.TYPES.get(base, base)
    return f"{term}列表" if "[" in type_ref else term


def field_named(type_name: str | None, name: str) -> str:
    """`username（用户名）` for an ordinary field; a root field (an API operation) only by its
    term: 「当前登录用户」."""
    if type_name in ROOTS:
        return f"「{glossary.field_term(type_name, name) or ROOTS[type_name] + '项'}」"
    term = glossary.field_term(type_name, name) if type_name else glossary.FIELDS.get(name)
    return f"{name}（{term}）" if term else f"{name} "


def arg_named(name: str, otherwise: str | None = None) -> str:
    """`first（每页条数（至多 100））`; a name without a term is followed by a space, so the
    sentence can go straight on."""
    term = glossary.ARGS.get(name) or glossary.FIELDS.get(name) or otherwise
    return f"{name}（{term}）" if term else f"{name} "


def enum_named(enum: str, value: str) -> str:
    term = glossary.ENUM_VALUES.get(enum, {}).get(value)
    return f"{value}（{term}）" if term else value


def suggestions(text: str | None, name: Callable[[str], str]) -> str:
    """graphql-core's "Did you mean 'a', 'b' or 'c'?" as 「，是否要写 a（…）或 b（…）？」."""
    if not text:
        return ""
    names = re.findall(r"'([^']+)'", text)
    if not names:
        return ""
    return "，是否要写 " + " 或 ".join(name(n).strip() for n in names) + "？"


def value_text(found: str) -> str:
    """A value as graphql-core prints it ('x', 1.5, {...}): short enough for a sentence."""
    found = found.strip()
    return found if len(found) <= 40 else found[:37] + "…"


def input_path(base: str, at: str | None) -> str:
    """`input` and `.items[3].amount` → `input.items.3.amount`."""
    path = base
    for key, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", at or ""):
        path += "." + (key or index)
    return path


def variable_uses(document: DocumentNode | None) -> dict[str, str]:
    """Where each variable is first used, as an argument path (`confirmPayment(input: {amount:
    $d})` → d: `input.amount`): `extensions.field` then reads as it does for the service's own
    input errors, whatever the client named its variables."""
    uses: dict[str, str] = {}

    def value(node, path: str) -> None:
        if isinstance(node, VariableNode):
            uses.setdefault(node.name.value, path)
        elif isinstance(node, ObjectValueNode):
            for field in node.fields:
                value(field.value, f"{path}.{field.name.value}")
        elif isinstance(node, ListValueNode):
            for index, item in enumerate(node.values):
                value(item, f"{path}.{index}")

    def selections(selection_set) -> None:
        for selection in selection_set.selections if selection_set else ():
            for argument in getattr(selection, "arguments", None) or ():
                value(argument.value, argument.name.value)
            selections(selection.selection_set)

    for definition in document.definitions if document else ():
        selections(getattr(definition, "selection_set", None))
    return uses


# --- syntax ----------------------------------------------------------------------------------

TOKENS = {"<EOF>": "查询的结尾", "Name": "名称", "Variable": "变量", "String": "字符串", "Int": "整数",
          "Float": "数字", "BlockString": "字符串"}


# Root field (API operation) → its Chinese term. Filled from the built schema by learn_operations
# (schema/__init__.py), since this module is imported while the schema is being built.
_OPERATION_TERMS: dict[str, str] = {}


def learn_operations(graphql_schema: GraphQLSchema) -> None:
    roots = {name: getattr(graphql_schema, f"{name.lower()}_type") for name in ROOTS}
    _OPERATION_TERMS.update({field: glossary.field_term(name, field) or ROOTS[name] + "项"
                             for name, root in roots.items() if root is not None for field in root.fields})


def operation_terms() -> dict[str, str]:
    return _OPERATION_TERMS


def token(text: str) -> str:
    text = text.strip()
    if text.startswith("Name ") or text.startswith("Variable ") or text.startswith("String "):
        kind, _, value = text.partition(" ")
        name = value.strip("'")
        if kind == "Name" and name in operation_terms():
            return f"「{operation_terms()[name]}」"
        return f"{TOKENS[kind]} {name}"
    return TOKENS.get(text, text.replace("'", "“", 1).replace("'", "”", 1) if text.count("'") == 2 else text)


SYNTAX: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(r"Expected (.+), found <EOF>\."), lambda m: "查询在此处意外结束，括号是否成对？" if m[1] == "Name"
     else f"查询在此处意外结束，缺少 {token(m[1])}"),
    (re.compile(r"Expected (.+), found (.+)\."), lambda m: f"此处应为 {token(m[1])}，实际是 {token(m[2])}"),
    (re.compile(r"Unexpected <EOF>\."), lambda m: "查询在此处意外结束，括号是否成对？"),
    (re.compile(r"Unexpected character: (.+)\."), lambda m: f"此处有不能识别的字符 {token(m[1])}"),
    (re.compile(r"Unexpected '(.+)', did you mean '(.+)'\?"), lambda m: f"此处不应出现 “{m[1]}”，是否要写 “{m[2]}”？"),
    (re.compile(r"Unexpected (.+)\."), lambda m: f"此处不应出现 {token(m[1])}"),
    (re.compile(r"Unterminated string\."), lambda m: "字符串缺少结尾的引号"),
    (re.compile(r"Invalid character.*: (.+)\."), lambda m: f"此处有无效字符 {m[1]}"),
    (re.compile(r"Invalid character.*"), lambda m: "此处有无效字符"),
    (re.compile(r"Invalid number.*"), lambda m: "数字的写法不正确"),
    (re.compile(r"Invalid Unicode escape sequence.*|Invalid character escape sequence.*"),
     lambda m: "字符串中的转义序列不正确"),
]


def syntax(detail: str) -> str:
    for pattern, say in SYNTAX:
        if m := pattern.fullmatch(detail):
            return say(m)
    return "无法解析"


# --- validation and coercion -----------------------------------------------------------------

Rule = Callable[[re.Match, "Where"], Said]


@dataclass
class Where:
    """What the table may need beyond the message: the root field (if the error's node is one)."""
    root: str | None = None  # "Query", "Mutation" or "Subscription" when the node is a root field
    uses: dict[str, str] | None = None  # variable → the argument path it is used at


def _value_problem(inner: str, variable: str, at: str | None, uses: dict[str, str] | None) -> Said:
    """The reason a variable's value (or a part of it) was refused: said with the variable as
    the client wrote it, the field as the argument path."""
    path = input_path((uses or {}).get(variable, variable), at)
    inside = input_path("", at)[1:]
    where = f"变量 ${variable}" + (f" 的 {inside}" if inside else "")
    for pattern, say in VALUE_RULES:
        if m := pattern.fullmatch(inner):
            message, field = say(m, where, path)
            return Said(message, field)
    return Said(f"{where} 的值不正确", path)


# (pattern of the inner reason, (match, "变量 $i 的 items.3", "i.items.3") → (message, field))
VALUE_RULES: list[tuple[re.Pattern, Callable[[re.Match, str, str], tuple[str, str]]]] = [
    (re.compile(r"Expected a value of non-null type '(.+)' to be provided\."),
     lambda m, w, p: (f"{w} 是必填的，但没有传入（应为{type_term(m[1])}）", p)),
    (re.compile(r"Expected value of non-null type '(.+)' not to be (?:None|null)\."),
     lambda m, w, p: (f"{w} 是必填的，不能为 null（应为{type_term(m[1])}）", p)),
    (re.compile(r"Expected value of type '(\w+)' to include required field '(\w+)', found: .*", re.S),
     lambda m, w, p: (f"{w} 缺少必填字段 {field_named(m[1], m[2])}", f"{p}.{m[2]}")),
    (re.compile(r"Expected value of type '(\w+)' not to include unknown field '(\w+)'(?:\. Did you mean (.*?)\?|[,.]) [Ff]ound: .*", re.S),
     lambda m, w, p: (f"{w} 中有「{type_term(m[1])}」没有的字段 {m[2]}" + suggestions(m[3], lambda n: field_named(m[1], n)),
                      f"{p}.{m[2]}")),
    (re.compile(r"Expected value of type '(.+)' to be an object, found: (.+)\.", re.S),
     lambda m, w, p: (f"{w} 应为对象 {{ … }}（{type_term(m[1])}），实际是 {value_text(m[2])}", p)),
    (re.compile(r"Expected value of type '(.+)', but encountered error '(.+)'; found: (.+)\.", re.S),
     lambda m, w, p: (f"{w} 不正确：{m[2]}" if CJK.search(m[2])
                      else f"{w} 不是有效的{type_term(m[1])}：{value_text(m[3])}", p)),
    (re.compile(r"Expected value of type '(.+)' to be valid, found: (.+)\.", re.S),
     lambda m, w, p: (f"{w} 不是有效的{type_term(m[1])}：{value_text(m[2])}", p)),
    (re.compile(r"Value '(.+)' does not exist in '(\w+)' enum\.(?: Did you mean the enum value (.*)\?)?", re.S),
     lambda m, w, p: (f"{w} 的值 {m[1]} 不是「{type_term(m[2])}」的可选值" + enum_choices(m[2], m[3]), p)),
    (re.compile(r"Enum '(\w+)' cannot represent non-string value: (.+?)\.?(?: Did you mean .*)?", re.S),
     lambda m, w, p: (f"{w} 应为「{type_term(m[1])}」的可选值（字符串），实际是 {value_text(m[2])}" + enum_choices(m[1], None), p)),
    (re.compile(r"Int cannot represent non 32-bit signed integer value: (.+)", re.S),
     lambda m, w, p: (f"{w} 的值 {value_text(m[1])} 超出整数范围", p)),
    (re.compile(r"Int cannot represent non-integer value: (.+)", re.S),
     lambda m, w, p: (f"{w} 应为整数，实际是 {value_text(m[1])}", p)),
    (re.compile(r"Float cannot represent non numeric value: (.+)", re.S),
     lambda m, w, p: (f"{w} 应为数字，实际是 {value_text(m[1])}", p)),
    (re.compile(r"String cannot represent a non string value: (.+)", re.S),
     lambda m, w, p: (f"{w} 应为字符串，实际是 {value_text(m[1])}", p)),
    (re.compile(r"Boolean cannot represent a non boolean value: (.+)", re.S),
     lambda m, w, p: (f"{w} 应为 true 或 false，实际是 {value_text(m[1])}", p)),
    (re.compile(r"ID cannot represent (?:a non-string and non-integer )?value: (.+)", re.S),
     lambda m, w, p: (f"{w} 应为 ID（字符串），实际是 {value_text(m[1])}", p)),
    (re.compile(r"Expected value of type '(.+)' to be a list.*", re.S),
     lambda m, w, p: (f"{w} 应为列表 [ … ]（{type_term(m[1])}）", p)),
    (re.compile(r"(.*[\u3400-\u9fff].*)", re.S), lambda m, w, p: (f"{w} 不正确：{m[1]}", p)),
]


def enum_choices(enum: str, suggested: str | None) -> str:
    if suggested:
        return suggestions(suggested, lambda n: enum_named(enum, n))
    values = list(glossary.ENUM_VALUES.get(enum, {}))
    if not values or len(values) > 10:
        return ""
    return "，可选值：" + "、".join(enum_named(enum, v) for v in values)


RULES: list[tuple[re.Pattern, Rule]] = [
    # fields and arguments
    (re.compile(r"Cannot query field '(\w+)' on type '(\w+)'\.(?: Did you mean (.*)\?)?", re.S),
     lambda m, w: Said(f"没有名为 {m[1]} 的{ROOTS[m[2]]}项" + root_suggestions(m[2], m[3]) if m[2] in ROOTS
                       else f"「{type_term(m[2])}」没有字段 {m[1]}" + suggestions(m[3], lambda n: field_named(m[2], n)))),
    (re.compile(r"Field '(\w+)' of type '(.+)' must have a selection of subfields\..*", re.S),
     lambda m, w: Said(f"{field_named(w.root, m[1])}需要在其后的花括号 {{ }} 内写出要返回的字段（{type_term(m[2])}的字段）")),
    (re.compile(r"Field '(\w+)' of type '(.+)' must have at least one field selected\.", re.S),
     lambda m, w: Said(f"{field_named(w.root, m[1])}的花括号内至少要写一个要返回的字段")),
    (re.compile(r"Field '(\w+)' must not have a selection since type '(.+)' has no subfields\.", re.S),
     lambda m, w: Said(f"{field_named(w.root, m[1])}是{type_term(m[2])}，没有下级字段，请去掉其后的花括号")),
    (re.compile(r"Unknown argument '(\w+)' on field '(\w+)\.(\w+)'\.(?: Did you mean (.*)\?)?", re.S),
     lambda m, w: Said(f"{field_named(m[2], m[3])}没有参数 {m[1]}" + suggestions(m[4], arg_named), m[1])),
    (re.compile(r"Unknown argument '(\w+)' on directive '@(\w+)'\.(?: Did you mean (.*)\?)?", re.S),
     lambda m, w: Said(f"指令 @{m[2]} 没有参数 {m[1]}" + suggestions(m[3], str), m[1])),
    (re.compile(r"Argument '(\w+)\.(\w+)\((\w+):\)' of type '(.+)' is required, but it was not provided\.", re.S),
     lambda m, w: Said(f"{field_named(m[1], m[2])}缺少必填参数 {arg_named(m[3], type_term(m[4])).strip()}", m[3])),
    (re.compile(r"Argument '@(\w+)\((\w+):\)' of type '(.+)' is required, but it was not provided\.", re.S),
     lambda m, w: Said(f"指令 @{m[1]} 缺少必填参数 {m[2]}", m[2])),
    (re.compile(r"There can be only one argument named '(\w+)'\.", re.S),
     lambda m, w: Said(f"参数 {arg_named(m[1])}写了不止一次", m[1])),
    (re.compile(r"There can be only one input field named '(\w+)'\.", re.S),
     lambda m, w: Said(f"字段 {m[1]} 写了不止一次", m[1])),
    (re.compile(r"Fields '(\w+)' conflict because .*", re.S),
     lambda m, w: Said(f"{m[1]} 出现了不止一次且内容不同，请给它们起不同的别名（如 a: … 和 b: …）")),
    # literal values in the query text
    (re.compile(r"Value '(.+)' does not exist in '(\w+)' enum\.(?: Did you mean the enum value (.*)\?)?", re.S),
     lambda m, w: Said(f"{m[1]} 不是「{type_term(m[2])}」的可选值" + enum_choices(m[2], m[3]))),
    (re.compile(r"Enum '(\w+)' cannot represent non-enum value: (.+?)\.(?: Did you mean the enum value (.*)\?)?", re.S),
     lambda m, w: Said(f"「{type_term(m[1])}」的值应直接写枚举值、不加引号，实际是 {value_text(m[2])}"
                       + enum_choices(m[1], m[3]))),
    (re.compile(r"Field '(\w+)\.(\w+)' of required type '(.+)' was not provided\.", re.S),
     lambda m, w: Said(f"「{type_term(m[1])}」缺少必填字段 {field_named(m[1], m[2])}", m[2])),
    (re.compile(r"Field '(\w+)' is not defined by type '(\w+)'\.(?: Did you mean (.*)\?)?", re.S),
     lambda m, w: Said(f"「{type_term(m[2])}」没有字段 {m[1]}" + suggestions(m[3], lambda n: field_named(m[2], n)), m[1])),
    (re.compile(r"Expected value of type '(.+)', found (.+); (.+)", re.S),
     lambda m, w: Said(f"{value_text(m[2])} 不是有效的{type_term(m[1])}" + (f"：{m[3]}" if CJK.search(m[3]) else ""))),
    (re.compile(r"Expected value of type '(.+)', found (.+)\.", re.S),
     lambda m, w: Said(f"{value_text(m[2])} 不是有效的{type_term(m[1])}" if m[2] != "null"
                       else f"此处不能为 null（应为{type_term(m[1])}）")),
    (re.compile(r"Expected value of non-null type '(.+)' not to be null\.", re.S),
     lambda m, w: Said(f"此处不能为 null（应为{type_term(m[1])}）")),
    (re.compile(r"Int cannot represent non 32-bit signed integer value: (.+)", re.S),
     lambda m, w: Said(f"{value_text(m[1])} 超出整数范围")),
    (re.compile(r"Int cannot represent non-integer value: (.+)", re.S),
     lambda m, w: Said(f"此处应为整数，实际是 {value_text(m[1])}")),
    (re.compile(r"Float cannot represent non numeric value: (.+)", re.S),
     lambda m, w: Said(f"此处应为数字，实际是 {value_text(m[1])}")),
    (re.compile(r"String cannot represent a non string value: (.+)", re.S),
     lambda m, w: Said(f"此处应为字符串（加双引号），实际是 {value_text(m[1])}")),
    (re.compile(r"Boolean cannot represent a non boolean value: (.+)", re.S),
     lambda m, w: Said(f"此处应为 true 或 false，实际是 {value_text(m[1])}")),
    (re.compile(r"ID cannot represent (?:a non-string and non-integer )?value: (.+)", re.S),
     lambda m, w: Said(f"此处应为 ID（字符串），实际是 {value_text(m[1])}")),
    # variables
    (re.compile(r"Variable '\$(\w+)' has invalid (?:default )?value(?: at (\S+?))?: (.+)", re.S),
     lambda m, w: _value_problem(m[3], m[1], m[2], w.uses)),
    (re.compile(r"Variable '\$(\w+)' of required type '(.+)' was not provided\.", re.S),
     lambda m, w: Said(f"变量 ${m[1]} 是必填的，但没有传入（应为{type_term(m[2])}）", (w.uses or {}).get(m[1], m[1]))),
    (re.compile(r"Variable '\$(\w+)' of non-null type '(.+)' must not be null\.", re.S),
     lambda m, w: Said(f"变量 ${m[1]} 是必填的，不能为 null（应为{type_term(m[2])}）", (w.uses or {}).get(m[1], m[1]))),
    (re.compile(r"Argument '(\w+)' (?:of required type '(.+)' was not provided|has invalid value.*)\.?", re.S),
     lambda m, w: Said(f"参数 {arg_named(m[1])}缺少或不正确", m[1])),
    (re.compile(r"Variable '\$(\w+)' is not defined(?: by operation '(\w+)')?\.", re.S),
     lambda m, w: Said(f"变量 ${m[1]} 没有声明，请在操作开头声明，如 query(${m[1]}: 类型)", m[1])),
    (re.compile(r"Variable '\$(\w+)' is never used(?: in (?:operation|fragment) '(\w+)')?\.", re.S),
     lambda m, w: Said(f"变量 ${m[1]} 声明了但没有使用，请删除或使用它", m[1])),
    (re.compile(r"There can be only one variable named '\$(\w+)'\.", re.S),
     lambda m, w: Said(f"变量 ${m[1]} 声明了不止一次", m[1])),
    (re.compile(r"Variable '\$(\w+)' cannot be non-input type '(.+)'\.", re.S),
     lambda m, w: Said(f"变量 ${m[1]} 的类型 {m[2]}（{type_term(m[2])}）不能用作输入", m[1])),
    (re.compile(r"Variable '\$(\w+)' of type '(.+)' used in position expecting type '(.+)'\.", re.S),
     lambda m, w: Said(f"变量 ${m[1]} 的类型是 {m[2]}，此处需要 {m[3]}（{type_term(m[3])}"
                       + ("，必填" if m[3].endswith("!") else "") + "）", m[1])),
    (re.compile(r"Variable values are nested too deeply\.", re.S), lambda m, w: Said("变量的值嵌套层级过深")),
    (re.compile(r"Too many errors processing variables.*", re.S), lambda m, w: Said("变量的错误过多，已停止检查其余变量")),
    # types, fragments, directives, operations
    (re.compile(r"Unknown type '(\w+)'\.(?: Did you mean (.*)\?)?", re.S),
     lambda m, w: Said(f"没有名为 {m[1]} 的类型" + suggestions(m[2], lambda n: f"{n}（{type_term(n)}）"))),
    (re.compile(r"Unknown fragment '(\w+)'\.", re.S), lambda m, w: Said(f"片段 {m[1]} 没有定义")),
    (re.compile(r"Fragment '(\w+)' is never used\.", re.S), lambda m, w: Said(f"片段 {m[1]} 定义了但没有使用，请删除或使用它")),
    (re.compile(r"There can be only one fragment named '(\w+)'\.", re.S), lambda m, w: Said(f"片段 {m[1]} 定义了不止一次")),
    (re.compile(r"Cannot spread fragment '(\w+)' within itself.*", re.S), lambda m, w: Said(f"片段 {m[1]} 引用了它自己")),
    (re.compile(r"Fragment(?: '(\w+)')? cannot be spread here as objects of type '(\w+)' can never be of type '(\w+)'\.", re.S),
     lambda m, w: Said(f"「{type_term(m[2])}」不可能是「{type_term(m[3])}」，此处不能使用" + (f"片段 {m[1]}" if m[1] else "该片段"))),
    (re.compile(r"Fragment(?: '(\w+)')? cannot condition on non composite type '(.+)'\.", re.S),
     lambda m, w: Said(f"片段不能用在「{type_term(m[2])}」上（它没有下级字段）")),
    (re.compile(r"Unknown directive '@(\w+)'\.", re.S), lambda m, w: Said(f"不支持指令 @{m[1]}")),
    (re.compile(r"Directive '@(\w+)' may not be used on (\w+)\.", re.S), lambda m, w: Said(f"指令 @{m[1]} 不能用在此处")),
    (re.compile(r"The directive '@(\w+)' can only be used once at this location\.", re.S),
     lambda m, w: Said(f"指令 @{m[1]} 在此处只能用一次")),
    (re.compile(r"There can be only one operation named '(\w+)'\.", re.S),
     lambda m, w: Said(f"请求中有多个名为 {m[1]} 的操作，操作名不能重复")),
    (re.compile(r"This anonymous operation must be the only defined operation\.", re.S),
     lambda m, w: Said("请求包含多个操作时，每个操作都要有名字，如 query 名称 { … }")),
    (re.compile(r"(?:Anonymous Subscription|Subscription '\w+') must select only one top level field\.", re.S),
     lambda m, w: Said("一个订阅只能订阅一项")),
    (re.compile(r"(?:Anonymous Subscription|Subscription '\w+') must not select an introspection top level field\.", re.S),
     lambda m, w: Said("订阅不能订阅 __schema、__type 等内省字段")),
    (re.compile(r"The (\w+) definition is not executable\.", re.S),
     lambda m, w: Said("请求中只能有查询、修改、订阅和片段，不能定义类型或模式")),
    (re.compile(r"The (\w+) operation is not supported by the schema\.", re.S),
     lambda m, w: Said("不支持此类操作")),
    (re.compile(r"Must provide operation name if query contains multiple operations\.", re.S),
     lambda m, w: Said("请求包含多个操作，请用 operationName 指明要执行哪一个")),
    (re.compile(r"Unknown operation named '(.+)'\.", re.S),
     lambda m, w: Said(f"请求中没有名为 {m[1]} 的操作（operationName 与操作名不符）")),
    (re.compile(r"Must provide an operation\.", re.S), lambda m, w: Said("请求中没有可执行的操作")),
]


def root_suggestions(root: str, text: str | None) -> str:
    """Suggested root fields by their Chinese terms only (they are API operations)."""
    names = re.findall(r"'([^']+)'", text or "")
    terms = [glossary.field_term(root, n) for n in names]
    terms = [t for t in terms if t]
    return "，是否要" + "或".join(f"「{t}」" for t in terms) + "？" if terms else ""


def _location(error: GraphQLError) -> str:
    if error.locations:
        first = error.locations[0]
        return f"第 {first.line} 行第 {first.column} 列"
    return ""


def _root_of(error: GraphQLError, document: DocumentNode | None) -> str | None:
    """The root type ("Query", …) if the error's node is a field at an operation's top."""
    node = error.nodes[0] if error.nodes else None
    if document is None or not isinstance(node, FieldNode):
        return None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and any(s is node for s in definition.selection_set.selections):
            return OPERATION_KINDS[definition.operation.value]
    return None


def _fallback(error: GraphQLError) -> Said:
    """Names what it can: the variables (as the client wrote them), never a root field."""
    variables = sorted(set(re.findall(r"'\$(\w+)'", error.message)))
    about = f"，涉及变量 {'、'.join('$' + v for v in variables)}" if variables else ""
    where = f"（{_location(error)}）" if error.locations else ""
    return Said(f"请求不正确{where}{about}，请检查查询语句和变量", variables[0] if len(variables) == 1 else None)


# A variable's value refused: where the value stands in the variables is said, not the line.
COERCION = re.compile(r"Variable '\$\w+' (?:has invalid|of required type|of non-null type)")


def translate(error: GraphQLError, document: DocumentNode | None = None) -> Said:
    """The Chinese message (and input path) for one of graphql-core's request errors."""
    detail = error.message
    if detail.startswith("Syntax Error: "):
        where = f"（{_location(error)}）" if error.locations else ""
        return Said(f"GraphQL 语法错误{where}：{syntax(detail[len('Syntax Error: '):])}")
    if CJK.search(detail) and not detail.startswith(("Variable '", "Expected value")):
        return Said(detail)  # ours already (an empty selection set, the query cost)
    where = Where(root=_root_of(error, document), uses=variable_uses(document) if COERCION.match(detail) else None)
    for pattern, rule in RULES:
        if m := pattern.fullmatch(detail):
            said = rule(m, where)
            if error.locations and not COERCION.match(detail):
                said.message = f"{_location(error)}：{said.message}"
            return said
    return _fallback(error)
