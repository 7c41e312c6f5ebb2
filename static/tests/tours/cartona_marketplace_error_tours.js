/** @odoo-module **/
/* Tours of the error paths people act on (issue 22), driven by tests/test_ui.py. */

import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("cartona_marketplace_refused_listing", {
    steps: () => [
        {
            content: "The catalog lists the refused product and the others",
            trigger: ".o_list_view .o_data_cell:contains(CAT-TOUR-OK)",
        },
        {
            trigger: ".o_list_view .o_data_cell:contains(NOT-ON-CARTONA)",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Filter on the listings Cartona refused",
            trigger: ".o_filter_menu .o_menu_item:contains(Refused by Cartona)",
            run: "click",
        },
        {
            content: "Only the refused listing is left (a listing not sent yet is not refused)",
            trigger: ".o_list_view:not(:has(.o_data_cell:contains(CAT-TOUR-OK))):not(:has(.o_data_cell:contains(CAT-TOUR-NEW))) .o_data_cell:contains(NOT-ON-CARTONA)",
            run: "click",
        },
        {
            content: "The listing names the product, Cartona's reason and the next step",
            trigger: ".o_cartona_refusal .o_field_widget[name=refusal_message]:contains(NOT-ON-CARTONA)",
        },
        {
            trigger: ".o_cartona_refusal:contains(no such product on Cartona):contains(supplier portal)",
        },
        {
            content: "No JSON, no HTTP code",
            trigger: ".o_cartona_refusal:not(:contains(HTTP)):not(:contains(422))",
        },
    ],
});

registry.category("web_tour.tours").add("cartona_marketplace_refused_listing_rtl", {
    steps: () => [
        {
            content: "The Arabic manager reads the listing right to left",
            trigger: "body.o_rtl .o_form_view .o_cartona_refusal",
        },
        {
            content: "The refused product is named with Cartona's reason",
            trigger: ".o_cartona_refusal .o_field_widget[name=refusal_message]:contains(NOT-ON-CARTONA):contains(no such product on Cartona)",
        },
    ],
});

registry.category("web_tour.tours").add("cartona_marketplace_delivery_blip", {
    steps: () => [
        {
            content: "Right to left: the salesperson reads Arabic",
            trigger: "body.o_rtl .o_form_view .o_form_sheet .o_field_widget[name=partner_id]",
        },
        {
            content: "Confirm Delivery of the shipped installment order",
            trigger: ".o_form_statusbar button[name=action_confirm_marketplace_delivery]:enabled",
            run: "click",
        },
        {
            content: "Type the code the retailer received",
            trigger: ".modal .o_field_widget[name=retailer_otp] input",
            run: "edit 482913",
        },
        {
            content: "Cartona does not answer this time",
            trigger: ".modal-footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The dialog stays open and says so, the code still in it",
            trigger: ".modal .o_cartona_unanswered .o_field_widget[name=unanswered]",
        },
        {
            trigger: ".modal .o_field_widget[name=retailer_otp] input",
            run() {
                if (this.anchor.value !== "482913") {
                    throw new Error(`the code was lost: "${this.anchor.value}"`);
                }
            },
        },
        {
            content: "No error on the order behind the dialog",
            trigger: ".o_form_view:not(:has(.alert-danger [name=marketplace_error_message]))",
        },
        {
            content: "A moment later, the same code again",
            trigger: ".modal-footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "Cartona confirmed the delivery: the dialog is gone",
            trigger: "body:not(:has(.modal)) .o_notification",
        },
    ],
});

registry.category("web_tour.tours").add("cartona_marketplace_sending_form", {
    steps: () => [
        {
            content: "The order is being sent to Cartona",
            trigger: ".o_form_statusbar .o_field_widget[name=marketplace_sync_status] .badge:contains(Sending)",
        },
        {
            content: "Enhanced Sync is not offered while the order is Sending",
            trigger: ".o_form_statusbar:not(:has(button[name=action_sync_enhanced_status])):not(:has(button[name=action_marketplace_retry]))",
        },
        {
            content: "Open the Cartona page of the order",
            trigger: ".o_notebook .nav-link:contains(Cartona)",
            run: "click",
        },
        {
            content: "Cartona Total stands in a standard group row, label beside value",
            trigger: ".o_inner_group .o_wrap_field:has(label:contains(Cartona Total)) .o_field_widget[name=cartona_total]:contains(20.00)",
        },
    ],
});

registry.category("web_tour.tours").add("cartona_marketplace_storekeeper_delivers", {
    steps: () => [
        {
            content: "The storekeeper opens the shipped Cartona order",
            trigger: ".o_form_view .o_form_sheet .o_field_widget[name=partner_id]",
        },
        {
            content: "Confirm Delivery: the retailer received the goods",
            trigger: ".o_form_statusbar button[name=action_confirm_marketplace_delivery]:enabled",
            run: "click",
        },
        {
            content: "Cartona took it",
            trigger: ".o_notification:contains(Cartona confirmed the delivery)",
        },
    ],
});
