/** Vant components registered one by one (with only their styles), so the first load stays small: the
 * components are listed once, in vant-components.ts; their styles here (with notify's and toast's). */
import "vant/es/action-bar/style/index";
import "vant/es/action-bar-button/style/index";
import "vant/es/badge/style/index";
import "vant/es/button/style/index";
import "vant/es/cell/style/index";
import "vant/es/cell-group/style/index";
import "vant/es/checkbox/style/index";
import "vant/es/checkbox-group/style/index";
import "vant/es/dialog/style/index";
import "vant/es/empty/style/index";
import "vant/es/field/style/index";
import "vant/es/form/style/index";
import "vant/es/icon/style/index";
import "vant/es/loading/style/index";
import "vant/es/nav-bar/style/index";
import "vant/es/notify/style/index";
import "vant/es/radio/style/index";
import "vant/es/radio-group/style/index";
import "vant/es/step/style/index";
import "vant/es/steps/style/index";
import "vant/es/switch/style/index";
import "vant/es/tab/style/index";
import "vant/es/tabbar/style/index";
import "vant/es/tabbar-item/style/index";
import "vant/es/tabs/style/index";
import "vant/es/tag/style/index";
import "vant/es/toast/style/index";
import "vant/es/uploader/style/index";
import type { App, Plugin } from "vue";

import * as components from "./vant-components";

export function useVant(app: App): void {
  for (const component of Object.values(components)) app.use(component as Plugin);
}
