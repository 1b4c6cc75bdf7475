import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes, strings } from "../lib/policy";
import { describe } from "../lib/resources";

export const cloudwatchAlarmActions: ResourceValidationPolicy = {
    name: "vigil-cloudwatch-alarm-actions",
    description: "Every CloudWatch alarm Vigil creates notifies someone when it fires: it has alarm actions and its actions are enabled.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: { name: "AWS Security Hub", version: "NIST 800-53 r5", reference: "CloudWatch.15", specification: "CloudWatch alarms should have specified actions configured." },
    tags: ["securityhub:CloudWatch.17", "checkov:CKV_AWS_319"],
    remediationSteps: "Set alarmActions to the pipeline topic (or another notification target) and leave actionsEnabled true.",
    validateResource: forVigilTypes(["aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm"], (props, args, report) => {
        if (strings(props.alarmActions).length === 0) {
            report(`The alarm ${describe(args)} has no alarm actions; set alarmActions so that someone is notified when it fires.`);
        }
        if (props.actionsEnabled === false) {
            report(`The alarm ${describe(args)} has its actions disabled (actionsEnabled: false); enable them.`);
        }
    }),
};
