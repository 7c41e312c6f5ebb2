# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re

import polib
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import file_path

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT

LANG = "ar_001"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


@tagged("post_install", "-at_install")
class TestI18n(TransactionCase):
    """The Arabic translation reaches fields, selections, menus, views and code."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.lang = cls.env["res.lang"]._activate_lang(LANG)
        cls.env["ir.module.module"]._load_module_terms(
            ["cartona_marketplace"], [LANG], overwrite=True
        )
        cls.user = cls.env.ref("base.user_admin")
        cls.user.groups_id |= cls.env.ref("cartona_marketplace.group_marketplace_user")
        cls.partner = cls.env["res.partner"].create({"name": "Cairo Corner Shop"})

    def test_language_is_right_to_left(self):
        self.assertTrue(self.lang.active)
        self.assertEqual(self.lang.direction, "rtl")

    def test_field_label(self):
        fields = (
            self.env["sale.order"]
            .with_context(lang=LANG)
            .fields_get(["delivered_by", "marketplace_status"], ["string"])
        )
        self.assertEqual(fields["delivered_by"]["string"], "التوصيل بواسطة")
        self.assertEqual(fields["marketplace_status"]["string"], "الحالة على كارتونا")

    def test_selection_label(self):
        fields = (
            self.env["sale.order"]
            .with_context(lang=LANG)
            .fields_get(
                ["marketplace_sync_status", "marketplace_status"], ["selection"]
            )
        )
        sync_status = dict(fields["marketplace_sync_status"]["selection"])
        self.assertEqual(sync_status["error"], "يحتاج إلى متابعة")
        self.assertEqual(sync_status["synced"], "محدّث")
        status = dict(fields["marketplace_status"]["selection"])
        self.assertEqual(status["assigned_to_salesman"], "تم الشحن (مع المندوب)")
        self.assertEqual(status["cancelled_by_retailer"], "ألغاه التاجر")

    def test_menu_name(self):
        menu = self.env.ref("cartona_marketplace.marketplace_sync_log_menu")
        self.assertEqual(menu.with_context(lang=LANG).name, "سجلات المزامنة")
        root = self.env.ref("cartona_marketplace.cartona_marketplace_menu_root")
        self.assertEqual(root.with_context(lang=LANG).name, "كارتونا")
        self.assertEqual(root.with_context(lang="en_US").name, "Cartona")

    def test_view_arch(self):
        view = self.env.ref(
            "cartona_marketplace.view_order_form_inherit_cartona_marketplace"
        )
        arch = (
            self.env["sale.order"]
            .with_user(self.user)
            .with_context(lang=LANG)
            .get_view(view.inherit_id.id, "form")["arch"]
        )
        button = etree.fromstring(arch).find(
            ".//button[@name='action_manual_sync_to_marketplace']"
        )
        self.assertIsNotNone(button)
        self.assertEqual(button.get("string"), "مزامنة الحالة")
        self.assertIn("<strong>كارتونا: </strong>", arch)

    def test_code_string(self):
        order = self.env["sale.order"].create(
            {"partner_id": self.partner.id, "is_marketplace_order": False}
        )
        with self.assertRaises(UserError) as caught:
            order.with_context(lang=LANG).action_manual_sync_to_marketplace()
        self.assertEqual(
            str(caught.exception), f"الطلب {order.name} ليس طلبًا من سوق كارتونا."
        )
        with self.assertRaises(UserError) as caught:
            order.with_context(lang="en_US").action_manual_sync_to_marketplace()
        self.assertEqual(
            str(caught.exception), f"{order.name} is not a Cartona marketplace order."
        )

    def test_po_keeps_placeholders_and_markup(self):
        """Every Arabic message keeps the placeholders and HTML tags of its source.

        A lost or renamed placeholder would make the message raise at runtime.
        """
        entries = polib.pofile(file_path("cartona_marketplace/i18n/ar.po"))
        translated = entries.translated_entries()
        self.assertTrue(translated)
        self.assertFalse(entries.fuzzy_entries())
        for entry in translated:
            with self.subTest(msgid=entry.msgid):
                self.assertEqual(
                    sorted(PLACEHOLDER.findall(entry.msgstr)),
                    sorted(PLACEHOLDER.findall(entry.msgid)),
                )
                self.assertEqual(TAG.findall(entry.msgstr), TAG.findall(entry.msgid))
