from django.utils import translation

from wenxin.text import join_list


def test_lists_are_joined_as_each_language_writes_them():
    with translation.override("zh-hans"):
        assert join_list(["基本情况", "生活状况"]) == "基本情况、生活状况"
    with translation.override("en"):
        assert join_list(["Basic situation", "Living conditions"]) == "Basic situation, Living conditions"
