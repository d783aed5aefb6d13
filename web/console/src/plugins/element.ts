/** Element Plus components the console uses, registered one by one so the bundle carries only these
 * (add a component here when a page needs it). */
import {
  ElAlert, ElAside, ElButton, ElCard, ElCheckbox, ElCheckboxGroup, ElCol, ElContainer, ElDatePicker, ElDescriptions,
  ElDescriptionsItem, ElDialog, ElDropdown, ElDropdownItem, ElDropdownMenu, ElEmpty, ElForm, ElFormItem, ElHeader,
  ElIcon, ElImage, ElInput, ElInputNumber, ElMain, ElMenu, ElMenuItem, ElOption, ElPopconfirm, ElProgress, ElRadio,
  ElRadioButton, ElRadioGroup, ElResult, ElRow, ElSelect, ElSkeleton, ElStep, ElSteps, ElSwitch, ElTabPane, ElTable,
  ElTableColumn, ElTabs, ElTag, ElTimeSelect, ElTimeline, ElTimelineItem,
} from "element-plus";
import type { App } from "vue";

import "element-plus/dist/index.css";

const components = [
  ElAlert, ElAside, ElButton, ElCard, ElCheckbox, ElCheckboxGroup, ElCol, ElContainer, ElDatePicker, ElDescriptions,
  ElDescriptionsItem, ElDialog, ElDropdown, ElDropdownItem, ElDropdownMenu, ElEmpty, ElForm, ElFormItem, ElHeader,
  ElIcon, ElImage, ElInput, ElInputNumber, ElMain, ElMenu, ElMenuItem, ElOption, ElPopconfirm, ElProgress, ElRadio,
  ElRadioButton, ElRadioGroup, ElResult, ElRow, ElSelect, ElSkeleton, ElStep, ElSteps, ElSwitch, ElTabPane, ElTable,
  ElTableColumn, ElTabs, ElTag, ElTimeSelect, ElTimeline, ElTimelineItem,
];

export function useElement(app: App): void {
  for (const component of components) app.use(component);
}
