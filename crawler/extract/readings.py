"""trafilatura's readings of one page, sharing the steps one reading repeats of another.

body.trafilatura_body reads one pruned tree up to three ways: trafilatura's fast reading; its
full reading (readability and jusText compared with its own) when the fast one kept too little
of the page; and a recall-mode reading when the story's lists and subheads were missed. Each is
a whole `trafilatura.bare_extraction`, and each repeats steps another one ran on the same tree:
every reading copies the page and prunes the copy with three whole-page expressions (the
caller's prune_xpath, trafilatura's raw-tree and comment prunes: ~4 ms a page); the full reading
starts with the fast reading's main extractor (`extract_content`, ~11 ms); a short reading
measures the page's text (`html2txt`, ~5 ms) and runs trafilatura's own recall retry, whose main
extractor is the recall reading's. Those steps are functions of the tree and of the reading's
settings, so a reading given the page's `SharedSteps` takes a step the page's tree already went
through with the same settings from its first result, until the tree changes
(`SharedSteps.changed`). The result is the same reading.

The pruned copy is shared as it is, not copied: from the prunes on, every step of
trafilatura_sequence that changes a tree changes a copy of it (_prepare_tree, compare_extraction,
baseline, html2txt, the recall retry's _prepare_tree and jusText).

No code of trafilatura is copied: its functions are rebound (rebind.py) to a namespace whose
load_html, prune_unwanted_nodes, _forum_thread_page, _prepare_tree, extract_content and html2txt
ask the page's SharedSteps first; trafilatura as imported elsewhere (the benchmark's bare
baseline) is left as shipped.
"""

from __future__ import annotations

from contextvars import ContextVar
from copy import deepcopy

from lxml.etree import tostring

import trafilatura
import trafilatura.core as _core
import trafilatura.main_extractor as _main

from .rebind import rebound_module


class SharedSteps:
    """The steps trafilatura's readings of one tree have run, for its next readings (see the
    module's doc). Call `changed()` whenever the tree is changed."""

    def __init__(self):
        self.settings: dict | None = None   # the bare_extraction keywords all readings share
        self.changed()

    def changed(self) -> None:
        """Forget every step: the tree is no longer the one they ran on."""
        self.source = None                  # the tree the readings read
        self.pruned = None                  # a reading's copy of it, pruned (read only from then on)
        self.pruned_from: bytes | None = None   # with VERIFY: the tree, serialized, when it was copied
        self.forum: bool | None = None      # trafilatura's thread-forum test, of the copy before the prunes
        # extract_content's result by the reading's settings: (body, text, the speed (options.fast)
        # it holds for, or None for either)
        self.contents: dict[tuple, tuple] = {}
        self.page_text: str | None = None   # html2txt of the pruned tree
        self.recovered = False              # extract_content ran its wild-text recovery


_SHARED: ContextVar[SharedSteps | None] = ContextVar("shared_steps", default=None)
# The test suite sets this (tests/conftest.py): every step answered from a SharedSteps is then run
# again and must give the same result, so code that changes the tree between readings without
# SharedSteps.changed() fails a test instead of reading the tree as it was before the change.
VERIFY = False


def _same_step(kept, fresh, step: str) -> None:
    if kept != fresh:
        raise AssertionError(f"readings: {step} answered from before the tree changed "
                             "(a change to the tree without SharedSteps.changed())")


def _recover_wild_text(*args, **kwargs):
    shared = _SHARED.get()
    if shared is not None:
        shared.recovered = True
    return _main.recover_wild_text(*args, **kwargs)


_extract_content_noting_recovery = rebound_module(_main, {"recover_wild_text": _recover_wild_text})["extract_content"]


def _extract_content(cleaned_tree, options):
    """trafilatura's main extractor, or a copy of its result for the same settings on this tree.
    The wild-text recovery it runs when its first pass finds too little keeps teaser blocks in
    fast mode only (main_extractor.recover_wild_text): a result that went through it is shared
    with readings of the same speed only."""
    shared = _SHARED.get()
    if shared is None:
        return _main.extract_content(cleaned_tree, options)
    key = (options.focus, options.tables, options.images, options.links, options.formatting, options.url)
    kept = shared.contents.get(key)
    if kept is not None and kept[2] in (None, options.fast):
        if VERIFY:
            fresh = _main.extract_content(deepcopy(cleaned_tree), options)
            _same_step((tostring(kept[0]), kept[1]), (tostring(fresh[0]), fresh[1]), "extract_content")
        return deepcopy(kept[0]), kept[1]
    shared.recovered = False
    body, text = _extract_content_noting_recovery(cleaned_tree, options)
    shared.contents[key] = (deepcopy(body), text, options.fast if shared.recovered else None)
    return body, text


def _html2txt(content, clean: bool = True) -> str:
    """trafilatura's measure of the page's text (its recall escalation's), once per tree."""
    shared = _SHARED.get()
    if shared is None or not clean:
        return _core.html2txt(content, clean)
    if shared.page_text is None:
        shared.page_text = _core.html2txt(content)
    elif VERIFY:
        _same_step(shared.page_text, _core.html2txt(content), "html2txt")
    return shared.page_text


def _load_html(htmlobject, max_size=None):
    """The first reading's pruned copy for a later reading of the same tree (bare_extraction
    copies what load_html hands back only when it is its input)."""
    shared = _SHARED.get()
    if shared is not None and shared.pruned is not None and htmlobject is shared.source:
        if VERIFY:
            _same_step(shared.pruned_from, tostring(htmlobject), "the pruned copy of the page")
        return shared.pruned
    return _core.load_html(htmlobject, max_size)


def _prune_unwanted_nodes(tree, nodelist, with_backup=False):
    """Nothing to do on the pruned copy: the prunes a reading runs on its copy of the page (in
    trafilatura.core, the only ones with comments off and no precision focus) were run on it."""
    shared = _SHARED.get()
    if shared is not None and tree is shared.pruned:
        return tree
    return _core.prune_unwanted_nodes(tree, nodelist, with_backup)


def _forum_thread_page(tree) -> bool:
    shared = _SHARED.get()
    if shared is not None and tree is shared.pruned:
        return shared.forum     # as it was before the prunes
    forum = _core._forum_thread_page(tree)
    if shared is not None:
        shared.forum = forum
    return forum


def _prepare_tree(tree, options, url):
    """Keep the first reading's pruned copy (what _prepare_tree gets, and copies)."""
    shared = _SHARED.get()
    if shared is not None and shared.pruned is None and shared.forum is not None:
        shared.pruned = tree
        if VERIFY:
            shared.pruned_from = tostring(shared.source)
    return _core._prepare_tree(tree, options, url)


_bare_extraction = rebound_module(_core, {
    "extract_content": _extract_content, "html2txt": _html2txt, "load_html": _load_html,
    "prune_unwanted_nodes": _prune_unwanted_nodes, "_forum_thread_page": _forum_thread_page,
    "_prepare_tree": _prepare_tree})["bare_extraction"]
_PER_READING = frozenset({"fast", "favor_recall"})


def bare_extraction(tree, *, shared: SharedSteps | None = None, **kwargs):
    """trafilatura.bare_extraction(tree, **kwargs); with `shared`, a reading that shares steps
    with the other readings of the same tree (see the module's doc).

    Only readings of the same tree without comments nor precision focus, with the same keywords
    but their speed and recall focus, share: each of those changes what trafilatura prunes
    before its main extractor, or on what."""
    if shared is None or kwargs.get("include_comments", True) or kwargs.get("favor_precision") or "options" in kwargs:
        return trafilatura.bare_extraction(tree, **kwargs)
    settings = {k: v for k, v in kwargs.items() if k not in _PER_READING}
    if settings != shared.settings or tree is not shared.source:
        shared.changed()
        shared.settings = settings
        shared.source = tree
    token = _SHARED.set(shared)
    try:
        return _bare_extraction(tree, **kwargs)
    finally:
        _SHARED.reset(token)
