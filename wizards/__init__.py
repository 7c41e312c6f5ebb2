from . import marketplace_sync_preview
from . import marketplace_delivery_confirm
from . import marketplace_delivery_failed
from . import marketplace_cancel_reason
from . import marketplace_product_list
