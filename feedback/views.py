"""Pages of the feedback app: sources, uploads and the imports' progress."""

from __future__ import annotations

import os

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from cases.auth import is_manager, manager_required, staff_required
from cases.models import Department
from cases.views.partials import wants_fragment
from feedback import selectors, services
from feedback.forms import (
    CsvMappingForm,
    ItemThemesForm,
    NeedForm,
    SourceForm,
    ThemeForm,
    UploadForm,
)
from feedback.models import FeedbackItem, ImportBatch, ItemTheme, Need, Source, Theme
from feedback.presets import preview_csv


@require_GET
@staff_required
def sources_page(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/sources.html", {
        "sources": selectors.sources_overview(),
        "batches": selectors.recent_batches(),
    })


@require_http_methods(["GET", "POST"])
@manager_required
def source_new_page(request: HttpRequest) -> HttpResponse:
    form = SourceForm(request.POST or None)
    if form.is_valid():
        source = form.save()
        messages.success(request, _("The source “%(name)s” is added.") % {"name": source.name})
        return redirect(source)
    return render(request, "feedback/source_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
@staff_required
def source_page(request: HttpRequest, slug: str) -> HttpResponse:
    source = get_object_or_404(selectors.sources_overview(), slug=slug)
    manager = is_manager(request.user)
    form = SourceForm(request.POST if request.method == "POST" else None, instance=source)
    if request.method == "POST":
        if not manager:
            return render(request, "403.html", status=403)
        if form.is_valid():
            form.save()
            messages.success(request, _("The source is saved."))
            return redirect(source)
    return _source_detail(request, source, form=form,
                          upload_form=UploadForm(initial={"format": source.default_format}))


@require_POST
@staff_required
def source_upload(request: HttpRequest, slug: str) -> HttpResponse:
    source = get_object_or_404(selectors.sources_overview(), slug=slug)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = services.start_import(
                source=source, file=upload, filename=upload.name,
                format_name=form.cleaned_data["format"], actor=request.user)
            return redirect(batch)
        except ValidationError as error:
            form.add_error(None, error)
    return _source_detail(request, source, form=SourceForm(instance=source), upload_form=form)


def _source_detail(request: HttpRequest, source: Source, *, form: SourceForm,
                   upload_form: UploadForm) -> HttpResponse:
    """A source's page; its settings form only for managers."""
    return render(request, "feedback/source_detail.html", {
        "source": source, "form": form if is_manager(request.user) else None,
        "upload_form": upload_form, "batches": selectors.recent_batches(source=source),
    })


@require_GET
@vary_on_headers("HX-Request")
@staff_required
def batch_page(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch.objects.select_related("source", "created_by"), pk=pk)
    template = "feedback/batch.html" + ("#import-progress" if wants_fragment(request) else "")
    return render(request, template, {
        "batch": batch, "errors": selectors.import_errors(batch=batch)[:50]})


@require_POST
@staff_required
def batch_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch, pk=pk)
    try:
        services.cancel_import(batch=batch)
        messages.success(request, _("The import stops after the records it is on."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(batch)


@require_GET
@staff_required
def batch_errors_csv(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch, pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
    selectors.write_error_report(batch=batch, stream=response)
    return response


# --- customer needs ----------------------------------------------------------------------------


@require_GET
@staff_required
def needs_page(request: HttpRequest) -> HttpResponse:
    department_id = request.GET.get("department", "")
    department = (Department.objects.filter(pk=department_id).first()
                  if department_id.isdigit() else None)
    needs = list(selectors.ranked_needs(department=department))
    forms = [NeedForm(instance=need, prefix=f"need-{need.pk}") for need in needs
             ] if is_manager(request.user) else [None] * len(needs)
    if forms and forms[0]:  # the departments read once, not once a row
        departments = list(iter(forms[0].fields["department"].choices))  # iter: no COUNT
        for form in forms:
            form.fields["department"].choices = departments
    return render(request, "feedback/needs.html", {"rows": list(zip(needs, forms, strict=True)),
                                                   "department": department})


@require_http_methods(["GET", "POST"])
@staff_required
def need_page(request: HttpRequest, pk: int) -> HttpResponse:
    need = get_object_or_404(selectors.ranked_needs(), pk=pk)
    manager = is_manager(request.user)
    if request.method == "POST":
        if not manager:
            return render(request, "403.html", status=403)
        prefix = request.POST.get("prefix") or None
        form = NeedForm(request.POST, instance=Need.objects.get(pk=pk), prefix=prefix)
        if form.is_valid():
            services.update_need(need=need, actor=request.user, **{
                field: form.cleaned_data[field] for field in ("department", "status", "note")})
            messages.success(request, _("“%(need)s” is saved.") % {"need": need.theme.name})
            return redirect("feedback:needs" if request.POST.get("next") == "list" else need)
    else:
        form = NeedForm(instance=need) if manager else None
    filters = {"source": request.GET.get("source", ""), "language": request.GET.get("language", ""),
               "negative": request.GET.get("negative") == "1"}
    page = Paginator(selectors.need_evidence(need=need, **filters), 25).get_page(
        request.GET.get("page"))
    return render(request, "feedback/need_detail.html", {
        "need": need, "form": form, "page": page, "filters": filters,
        "sources": Source.objects.order_by("name"), "history": need.changes.select_related(
            "actor")[:50],
    })


@require_POST
@manager_required
def needs_refresh(request: HttpRequest) -> HttpResponse:
    services.refresh_needs()
    messages.success(request, _("The needs are ranked again from the latest feedback."))
    return redirect("feedback:needs")


@require_GET
@staff_required
def needs_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="customer-needs.csv"'
    selectors.write_needs_csv(stream=response)
    return response


# --- analysis ----------------------------------------------------------------------------------

PERIODS = {"30": 30, "90": 90, "365": 365}


@require_GET
@staff_required
def analysis_page(request: HttpRequest) -> HttpResponse:
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else "90"
    filters = {key: request.GET.get(key, "") for key in ("source", "language", "theme")}
    analysis = selectors.feedback_analysis(days=PERIODS[period], **filters)
    return render(request, "feedback/analysis.html", {
        "analysis": analysis, "period": period, "periods": PERIODS, "filters": filters,
        "sources": Source.objects.order_by("name"), "themes": Theme.objects.order_by("name"),
    })


# --- items and the taxonomy ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def item_page(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(FeedbackItem.objects.select_related("source", "customer", "order"),
                             pk=pk)
    links = list(item.item_themes.select_related("theme"))
    shown = [link.theme for link in links if link.origin != ItemTheme.Origin.REMOVED]
    form = ItemThemesForm(request.POST or None, initial={"themes": shown})
    if request.method == "POST" and form.is_valid():
        services.correct_item_themes(item=item, themes=form.cleaned_data["themes"])
        messages.success(request, _("The themes are corrected; they stay so when the "
                                    "feedback is catalogued again."))
        return redirect("feedback:item", pk=item.pk)
    return render(request, "feedback/item.html", {"item": item, "links": links, "form": form})


@require_GET
@staff_required
def themes_page(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/themes.html", {
        "themes": Theme.objects.select_related("parent").order_by("position", "name")})


@require_http_methods(["GET", "POST"])
@manager_required
def theme_edit_page(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    theme = get_object_or_404(Theme, slug=slug) if slug else Theme()
    form = ThemeForm(request.POST or None, instance=theme)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_theme(theme=form.save(commit=False))
            messages.success(request, _("The taxonomy is saved; the feedback is catalogued "
                                        "again in the background."))
            return redirect("feedback:themes")
        except ValidationError as error:
            form.add_error(None, error)
    return render(request, "feedback/theme_form.html", {"form": form, "theme": theme})


# --- the CSV column mapping ------------------------------------------------------------------

MAPPING_FOLDER = "feedback-mapping"


@require_http_methods(["GET", "POST"])
@manager_required
def source_mapping_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Map the columns of any CSV: upload a file, see its first rows, say which column
    holds what, and keep that as the source's preset (and import the file, if wished)."""
    source = get_object_or_404(Source, slug=slug)
    saved = (source.format_options or {}).get("mapping")
    if request.method == "POST" and "file" in request.FILES:
        upload = request.FILES["file"]
        if not upload.name.lower().endswith(".csv"):
            messages.error(request, _("Upload a .csv file."))
            return redirect("feedback:source-mapping", slug=slug)
        name = default_storage.save(f"{MAPPING_FOLDER}/{source.slug}.csv", upload)
        return _mapping_form(request, source, name, None, saved)
    if request.method == "POST":
        name = request.POST.get("upload", "")
        if not name.startswith(f"{MAPPING_FOLDER}/") or not default_storage.exists(name):
            messages.error(request, _("Upload the file again: it is no longer here."))
            return redirect("feedback:source-mapping", slug=slug)
        headers, _rows = _preview(name)
        form = CsvMappingForm(request.POST, headers=headers)
        if form.is_valid():
            source.format_options = {**(source.format_options or {}), **form.options()}
            source.default_format = "csv"
            source.save(update_fields=["format_options", "default_format"])
            if form.cleaned_data["import_now"]:
                with default_storage.open(name, "rb") as stream:
                    batch = services.start_import(
                        source=source, file=File(stream), filename=os.path.basename(name),
                        format_name="csv", actor=request.user)
                default_storage.delete(name)
                return redirect(batch)
            messages.success(request, _("The column mapping is saved for this source."))
            return redirect(source)
        return _mapping_form(request, source, name, form, saved)
    return render(request, "feedback/mapping.html", {"source": source, "saved": saved})


def _preview(name: str) -> tuple[list[str], list[list[str]]]:
    with default_storage.open(name, "rb") as stream:
        return preview_csv(stream, rows=5)


def _mapping_form(request, source, name, form, saved) -> HttpResponse:
    headers, rows = _preview(name)
    form = form or CsvMappingForm(initial={"upload": name}, headers=headers, mapping=saved)
    return render(request, "feedback/mapping.html", {
        "source": source, "saved": saved, "form": form, "headers": headers, "rows": rows})
