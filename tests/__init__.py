from . import test_mapping
from . import test_triggers
from . import test_rules
from . import test_sync_job
from . import test_api
from . import test_config
from . import test_ui
from . import test_inbound
